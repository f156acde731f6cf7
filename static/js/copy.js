// Copy buttons: <button data-copy="ID"> copies the text of the element with that id.
// Without JavaScript the buttons stay hidden and the text is plain, selectable text.
(function () {
  "use strict";
  function reveal() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("button[data-copy][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  function say(text) {
    var status = document.getElementById("copy-status");
    if (status) status.textContent = text;
  }
  document.addEventListener("DOMContentLoaded", reveal);
  document.addEventListener("htmx:afterSettle", reveal);
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(
      function () {
        button.textContent = "Copied";
        say("Copied to the clipboard.");
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      },
      function () { say("Could not copy: select the text and copy it by hand."); }
    );
  });
})();
