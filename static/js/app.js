// Tasklink's few behaviours htmx does not cover. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  // Typeaheads are ARIA comboboxes: focus stays in the input; ArrowDown/ArrowUp move through
  // the options (aria-activedescendant), Enter picks one, Escape closes the list. Enter never
  // submits the form from a typeahead: one Enter used to create the task twice over.
  function listOf(input) { return document.getElementById(input.getAttribute("aria-controls")); }
  function comboboxOf(list) { return document.querySelector('[aria-controls="' + list.id + '"]'); }
  function choices(list) {
    return Array.prototype.slice.call(list.querySelectorAll('[role=option]:not([aria-disabled=true])'));
  }
  function showState(input, list) {
    var open = list.children.length > 0;
    list.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) input.removeAttribute("aria-activedescendant");
  }
  function closeList(input) {
    var list = listOf(input);
    if (!list) return;
    list.innerHTML = "";
    showState(input, list);
  }
  function activate(input, option) {
    var list = listOf(input);
    choices(list).forEach(function (each) { each.setAttribute("aria-selected", each === option ? "true" : "false"); });
    input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }
  function move(input, step) {
    var list = listOf(input);
    var found = list ? choices(list) : [];
    if (!found.length) return;
    var current = found.indexOf(document.getElementById(input.getAttribute("aria-activedescendant")));
    var next = current < 0 ? (step > 0 ? 0 : found.length - 1) : (current + step + found.length) % found.length;
    activate(input, found[next]);
  }
  function pick(option) {
    var field = document.getElementById(option.dataset.pickFor);
    var input = document.getElementById(option.dataset.pickFor + "_label");
    var picked = document.getElementById(option.dataset.pickFor + "_picked");
    if (field) field.value = option.dataset.pickValue;
    if (input) input.value = option.dataset.pickLabel;
    if (picked) picked.value = option.dataset.pickLabel;
    if (input) { closeList(input); input.focus(); }
  }
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[role=combobox]")) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(input, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      var active = document.getElementById(input.getAttribute("aria-activedescendant"));
      if (active) pick(active);
    } else if (event.key === "Escape" && input.getAttribute("aria-expanded") === "true") {
      event.preventDefault();
      event.stopPropagation();
      closeList(input);
    }
  });
  // Enter in a read-only field (the workspace a task goes to) submits nothing either.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches("input[readonly]")) {
      event.preventDefault();
    }
  });
  // A click (or tap) picks too; mousedown is held back so focus never leaves the input.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest("[data-pick-value]")) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-pick-value]");
    if (!option) return;
    event.preventDefault();
    pick(option);
  });
  // New options arrived: the list opens (or closes when empty) and says so.
  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    if (!list.matches || !list.matches("[role=listbox]")) return;
    var input = comboboxOf(list);
    if (input) showState(input, list);
  });
  // Typing in a typeahead's search box again forgets the option picked before.
  document.addEventListener("input", function (event) {
    var target = event.target.dataset && event.target.dataset.typeaheadFor;
    if (!target) return;
    var hidden = document.getElementById(target);
    if (hidden) hidden.value = "";
  });
  // Leaving a typeahead closes its list.
  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[role=combobox]")) closeList(input);
  });
  // Without JavaScript the panel's "Loading…" line would stay forever: it is shown only here.
  document.querySelectorAll(".panel-loading[hidden]").forEach(function (line) { line.hidden = false; });
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
  // Live updates (data-poll, e.g. the issue page): no polling while the tab is hidden; once it
  // is shown again, one poll at once instead of waiting for the next tick.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden && event.target.hasAttribute && event.target.hasAttribute("data-poll")) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden || !window.htmx) return;
    document.querySelectorAll("[data-poll]").forEach(function (poller) {
      window.htmx.trigger(poller, "poll-now");
    });
  });
})();
