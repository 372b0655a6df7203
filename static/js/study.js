/* Study page: keyboard shortcuts and focus after htmx swaps. Everything also works without it.
 * Keys: 1-6 or A-F choose (as in quizzes), S / U / G confidence, Enter checks the answer, K skips,
 * N goes on. (C is choice C here, as in quizzes, so it does not also check the answer.)
 * When the feedback (or the form again) replaces the answer form, the focused button is gone:
 * focus moves to the feedback heading, the skip note or the first choice. */
(function () {
  "use strict";

  // The shortcuts exist only with this script (deferred: the page is parsed), so it shows their help.
  document.querySelectorAll(".keyboard-help[hidden]").forEach(function (help) { help.hidden = false; });

  /* The report form's type radios are typed into too: its keys never answer the question. */
  function isTyping(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) &&
      (!/^(radio|checkbox)$/.test(target.type || "") || !!target.closest("[data-report-form]")));
  }

  function press(panel, selector) {
    var element = panel.querySelector(selector);
    if (!element || element.disabled) { return false; }
    element.click();
    if (element.tagName === "INPUT") { element.focus(); }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    var panel = document.getElementById("study-panel");
    if (!panel || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) { return; }
    var key = event.key.toLowerCase();
    var index = key.length === 1 ? "123456".indexOf(key) : -1;
    if (index < 0 && key.length === 1) { index = "abcdef".indexOf(key); }
    var handled = false;
    if (index >= 0) {
      handled = press(panel, 'input[name="choice"][data-key="' + (index + 1) + '"]');
    } else if (key.length === 1 && "sug".indexOf(key) >= 0) {
      handled = press(panel, 'input[data-confidence-key="' + key + '"]');
    } else if (key === "enter" && !/^(BUTTON|A|SUMMARY)$/.test(event.target.tagName)) {
      handled = press(panel, '[data-key="check"]');
    } else if (key === "k") {
      handled = press(panel, '[data-key="skip"]');
    } else if (key === "n") {
      handled = press(panel, '[data-key="next"]');
    }
    if (handled) { event.preventDefault(); }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var panel = document.getElementById("study-panel");
    if (!panel || (document.activeElement && document.activeElement !== document.body)) { return; }
    var next = panel.querySelector(".feedback-heading") || panel.querySelector(".study-answer [id^='skip-note-']") ||
      panel.querySelector(".study-answer .choices input, .study-answer .choices select");
    if (next) { next.focus(); }
  });
})();
