"""translate-pipeline: German articles in, German, English and bilingual pages out."""
