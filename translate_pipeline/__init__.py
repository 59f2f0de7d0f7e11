"""translate-pipeline: German articles in, German, English and bilingual pages out."""

__version__ = "0.1.0"
