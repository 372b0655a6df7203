/* Quiz page: keyboard shortcuts (choices, next, previous, mark, and S/U/G for the confidence
 * rating), the countdown display, ticks and ratings held while a save is under way,
 * and focus on the question heading after each question swap.
 * The server owns the deadline and the saved selection; this only shows them. */
(function () {
  "use strict";

  // The shortcuts exist only with this script (deferred: the page is parsed), so it shows their help.
  document.querySelectorAll(".keyboard-help[hidden]").forEach(function (help) { help.hidden = false; });

  /* The report form's type radios are typed into too: its keys never answer the question. */
  function isTyping(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) &&
      (!/^(radio|checkbox)$/.test(target.type || "") || !!target.closest("[data-report-form]")));
  }

  function clickKey(selector) {
    var element = document.querySelector(selector);
    if (element) { element.click(); return true; }
    return false;
  }

  /* A key pressed while htmx is still swapping in the next question would act on a form htmx
   * has not wired up yet, and the answer would not be saved: run it once the swap settles. */
  function whenSettled(action) {
    if (!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")) {
      action();
      return;
    }
    document.addEventListener("htmx:afterSettle", function once() {
      document.removeEventListener("htmx:afterSettle", once);
      whenSettled(action);
    });
  }

  /* The answer POST's response re-renders the choices as saved, so a tick made while an earlier
   * one is still saving would be wiped by that response: hold it and replay it once settled. */
  /* A rating is held the same way: each save posts the whole answer form, so a rating sent
   * while a choice is still saving could otherwise be overtaken by that earlier request. */
  document.addEventListener("click", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches('#quiz-panel .choices input[name="choice"], #quiz-panel input[name="confidence"]')) { return; }
    if (!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")) { return; }
    event.preventDefault();
    var selector = input.name === "confidence" ?
      '#quiz-panel input[name="confidence"][value="' + input.value + '"]' : "#" + input.id;
    whenSettled(function () {
      var fresh = document.querySelector(selector);
      if (fresh) { fresh.click(); fresh.focus(); }
    });
  }, true);

  /* A new question came in (Next, Previous, the navigator): move focus to its heading, so
   * keyboard and screen reader users start reading there. Saving an answer swaps only the
   * choices and leaves focus where it is. */
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "quiz-panel") {
      var heading = document.getElementById("question-heading");
      if (heading) { heading.focus(); }
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) { return; }
    if (!/^[1-6a-fnpmsug]$/i.test(event.key)) { return; }
    event.preventDefault();
    var pressed = event.key;
    whenSettled(function () { handleKey(pressed); });
  });

  function handleKey(pressed) {
    var key = pressed.toLowerCase();
    var index = "123456".indexOf(key);
    if (index < 0) { index = "abcdef".indexOf(key); }
    var handled = false;
    if (index >= 0 && key.length === 1) {
      handled = clickKey('#quiz-panel input[name="choice"][data-key="' + (index + 1) + '"]');
      if (handled) { document.querySelector('#quiz-panel input[data-key="' + (index + 1) + '"]').focus(); }
    } else if (key === "n") {
      handled = clickKey('#quiz-panel [data-key="next"]');
    } else if (key === "p") {
      handled = clickKey('#quiz-panel [data-key="prev"]');
    } else if (key === "m") {
      handled = clickKey('#quiz-panel [data-key="mark"]');
    } else if ("sug".indexOf(key) >= 0) {
      /* Confidence: sure, unsure, guessed (practice quizzes only; a simulation has no radios). */
      var rating = '#quiz-panel input[name="confidence"][data-confidence-key="' + key + '"]';
      handled = clickKey(rating);
      if (handled) { document.querySelector(rating).focus(); }
    }
    return handled;
  }

  /* Ordering items: drag by the handle (mouse, pen and touch through pointer events), or with the
   * keyboard: Alt+ArrowUp / Alt+ArrowDown on an item's menu or buttons presses its Move button.
   * A drop writes the new places into the items' menus and fires one change on the fieldset, so
   * htmx saves it through the same answer POST as the menus; the server's response re-renders
   * the list as saved. */
  function ordering(element) {
    return element && element.closest ? element.closest("[data-pbq-order]") : null;
  }

  document.addEventListener("pointerdown", function (event) {
    var handle = event.target.closest ? event.target.closest(".pbq-handle") : null;
    var list = ordering(handle);
    if (!handle || !list || event.button > 0) { return; }
    var item = handle.closest(".pbq-item");
    event.preventDefault();
    var pointer = event.pointerId;
    item.classList.add("is-dragging");
    var start = Array.prototype.indexOf.call(list.children, item);
    function move(e) {
      if (e.pointerId !== pointer) { return; }
      var others = Array.prototype.filter.call(list.children, function (li) { return li !== item; });
      var before = null;
      for (var i = 0; i < others.length; i++) {
        var box = others[i].getBoundingClientRect();
        if (e.clientY < box.top + box.height / 2) { before = others[i]; break; }
      }
      list.insertBefore(item, before);
    }
    function end(e) {
      if (e.pointerId !== pointer) { return; }
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", end);
      document.removeEventListener("pointercancel", end);
      item.classList.remove("is-dragging");
      if (Array.prototype.indexOf.call(list.children, item) === start) { return; }
      Array.prototype.forEach.call(list.children, function (li, index) {
        li.querySelector("select").value = String(index + 1);
      });
      list.closest("fieldset").dispatchEvent(new Event("change", { bubbles: true }));
    }
    /* Followed on the document (not by pointer capture): the item moves under the pointer. */
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", end);
    document.addEventListener("pointercancel", end);
  });

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) { return; }
    var item = ordering(event.target) ? event.target.closest(".pbq-item") : null;
    if (!item) { return; }
    event.preventDefault();
    var button = item.querySelector('button[value$=":' + (event.key === "ArrowUp" ? "up" : "down") + '"]');
    if (button && !button.disabled) { button.click(); }
  });

  /* Saving re-renders the items: keep focus on the same menu or button (a Move button that
   * became disabled at the top or bottom hands focus to its partner). */
  var focusedId = null;
  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement;
    focusedId = active && active.closest && active.closest("fieldset.pbq") ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!focusedId || !event.target || !/^choices-/.test(event.target.id || "")) { return; }
    var again = document.getElementById(focusedId);
    if (again && again.disabled) {
      again = document.getElementById(focusedId.replace(/-(up|down)$/, function (m, d) { return d === "up" ? "-down" : "-up"; }));
    }
    if (again) { again.focus(); }
    focusedId = null;
  });

  /* The countdown is part of the question panel, so it is looked up again on every tick. */
  var first = document.getElementById("countdown");
  if (first && first.dataset.deadline) {
    var tick = function () {
      var countdown = document.getElementById("countdown");
      if (!countdown) { return; }
      var deadline = Date.parse(countdown.dataset.deadline);
      var value = countdown.querySelector(".countdown-value");
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      value.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      countdown.classList.toggle("is-low", left <= 300);
      if (left === 0) {
        clearInterval(timer);
        value.textContent = "Time is up";
        window.location.assign(countdown.dataset.expiredUrl);
      }
    };
    var timer = setInterval(tick, 1000);
    tick();
  }
})();
