(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=signal]"));
  var items = Array.prototype.slice.call(document.querySelectorAll(".queue > .item"));
  var shown = document.getElementById("shown");
  function update() {
    var wanted = {};
    boxes.forEach(function (box) { wanted[box.value] = box.checked; });
    var count = 0;
    items.forEach(function (item) {
      var visible = item.getAttribute("data-signals").split(" ").some(function (name) {
        return wanted[name];
      });
      item.hidden = !visible;
      if (visible) count += 1;
    });
    if (shown) shown.textContent = String(count);
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "signal") update();
  });
  update();
})();
