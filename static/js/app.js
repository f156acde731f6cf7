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
    if (label) label.value = option.dataset.pickLabel;
    var list = option.closest(".options");
    if (list) list.innerHTML = "";
  });
})();
