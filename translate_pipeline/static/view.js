(function () {
  var key = "translate-pipeline:view";
  try {
    var saved = localStorage.getItem(key);
    var input = saved && document.getElementById("view-" + saved);
    if (input) input.checked = true;
    document.addEventListener("change", function (event) {
      if (event.target.name === "view") localStorage.setItem(key, event.target.value);
    });
  } catch (error) {
    /* Storage is blocked: the switcher still works, it just forgets the choice. */
  }
})();
