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
  // The user menu (a <details>) closes on Escape, giving focus back to its button, and when
  // the person clicks anywhere outside it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
  // A new action makes old banners stale: "Task created" must not sit beside the error of
  // the next attempt. Searches and panel loads (GET) leave them.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.requestConfig && event.detail.requestConfig.verb === "get") return;
    var messages = document.getElementById("messages");
    if (messages) messages.innerHTML = "";
  });
})();
