// Tasklink's few behaviours htmx does not cover. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  // Picking a typeahead option fills the field it belongs to and closes the list.
  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-pick-value]");
    if (!option) return;
    event.preventDefault();
    var field = document.getElementById(option.dataset.pickFor);
    var label = document.getElementById(option.dataset.pickFor + "_label");
    if (field) field.value = option.dataset.pickValue;
    if (label && "value" in label) label.value = option.dataset.pickLabel;
    else if (label) label.textContent = "Selected: " + option.dataset.pickLabel;
    var list = option.closest(".options");
    if (list) list.innerHTML = "";
  });
  // Typing in a typeahead's search box again forgets the option picked before.
  document.addEventListener("input", function (event) {
    var target = event.target.dataset && event.target.dataset.typeaheadFor;
    if (!target) return;
    var hidden = document.getElementById(target);
    if (hidden) hidden.value = "";
  });
  // Escape closes an open list of options.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll(".options").forEach(function (list) { list.innerHTML = ""; });
  });
})();
