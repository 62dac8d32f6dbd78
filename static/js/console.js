// Keyboard shortcuts for the console. Plain forms and links work without this file.
(function () {
  "use strict";
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.ticket-row")); }
  function move(step) {
    var list = rows();
    if (!list.length) return;
    var current = list.indexOf(document.querySelector("tr.ticket-row.selected"));
    var next = Math.max(0, Math.min(list.length - 1, current + step));
    list.forEach(function (row) { row.classList.remove("selected"); });
    list[next].classList.add("selected");
    list[next].focus();
  }
  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var help = document.getElementById("help");
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "o":
      case "Enter": {
        var selected = document.querySelector("tr.ticket-row.selected a.open");
        if (selected) { window.location = selected.href; } else { return; }
        break;
      }
      case "r": {
        var reply = document.getElementById("reply-body");
        if (!reply) return;
        document.getElementById("internal-note").checked = false;
        reply.focus();
        break;
      }
      case "n": {
        var note = document.getElementById("reply-body");
        if (!note) return;
        document.getElementById("internal-note").checked = true;
        note.focus();
        break;
      }
      case "m": if (!openMacroPicker()) return; break;
      case "e": {
        var reason = document.getElementById("escalate-reason");
        if (!reason) return;
        reason.focus();
        break;
      }
      case "g": pendingG = true; return;
      case "q": if (pendingG) { window.location = "/console/queue/mine/"; } break;
      case "?": if (help && help.showModal) { help.showModal(); } break;
      default: pendingG = false; return;
    }
    pendingG = false;
    event.preventDefault();
  });
  // The macro picker: search by name, arrows to choose, Enter inserts the rendered reply at
  // the cursor (the agent edits it before sending); the macro's id travels with the reply so
  // its actions apply on send.
  var picker = document.getElementById("macro-picker");
  function choices() {
    return Array.prototype.slice.call(document.querySelectorAll("#macro-list .macro-choice")).filter(function (c) { return !c.hidden; });
  }
  function highlight(choice) {
    document.querySelectorAll("#macro-list .macro-choice").forEach(function (c) { c.setAttribute("aria-selected", "false"); });
    var search = document.getElementById("macro-search");
    if (choice) {
      choice.setAttribute("aria-selected", "true");
      choice.scrollIntoView({ block: "nearest" });
      search.setAttribute("aria-activedescendant", choice.id);  // screen readers follow the highlighted macro
    } else {
      search.removeAttribute("aria-activedescendant");
    }
  }
  function highlighted() { return document.querySelector('#macro-list .macro-choice[aria-selected="true"]'); }
  function filterMacros() {
    var words = document.getElementById("macro-search").value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    document.querySelectorAll("#macro-list .macro-choice").forEach(function (c) {
      var text = (c.dataset.name + " " + c.dataset.body).toLowerCase();
      c.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
      if (!c.hidden) shown += 1;
    });
    document.getElementById("macro-none").hidden = shown > 0;
    var list = choices();
    highlight(list.filter(function (c) { return c.classList.contains("suggested"); })[0] || list[0]);
  }
  function openMacroPicker() {
    if (!picker || !picker.showModal) return false;
    var search = document.getElementById("macro-search");
    search.value = "";
    picker.showModal();
    filterMacros();
    search.focus();
    return true;
  }
  function insertMacro(choice) {
    var reply = document.getElementById("reply-body");
    var start = reply.selectionStart, end = reply.selectionEnd, text = choice.dataset.body;
    reply.value = reply.value.slice(0, start) + text + reply.value.slice(end);
    document.getElementById("internal-note").checked = false;
    document.getElementById("reply-macro").value = choice.dataset.macro;
    document.getElementById("macro-chosen-text").textContent =
      "Macro: " + choice.dataset.name + (choice.dataset.actions ? " (on send: " + choice.dataset.actions + ")" : "");
    document.getElementById("macro-chosen").hidden = false;
    picker.close();
    reply.focus();
    reply.setSelectionRange(start + text.length, start + text.length);
  }
  if (picker) {
    document.getElementById("macro-open").addEventListener("click", openMacroPicker);
    document.getElementById("macro-search").addEventListener("input", filterMacros);
    document.getElementById("macro-clear").addEventListener("click", function () {
      // The text stays as the agent left it; only the macro's actions and count are dropped.
      document.getElementById("reply-macro").value = "";
      document.getElementById("macro-chosen").hidden = true;
    });
    document.getElementById("macro-list").addEventListener("click", function (event) {
      var choice = event.target.closest(".macro-choice");
      if (choice) insertMacro(choice);
    });
    picker.addEventListener("keydown", function (event) {
      var list = choices(), index = list.indexOf(highlighted());
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight(list[Math.max(0, Math.min(list.length - 1, index + step))]);
        event.preventDefault();
      } else if (event.key === "Enter" && highlighted()) {
        insertMacro(highlighted());
        event.preventDefault();
      }
    });
    document.getElementById("reply-body").addEventListener("keydown", function (event) {
      if (event.altKey && event.code === "KeyM") { openMacroPicker(); event.preventDefault(); }
    });
  }
  // Keep the selection after htmx refreshes the rows.
  document.addEventListener("htmx:afterSwap", function () {
    var keep = sessionStorage.getItem("selected-ticket");
    if (!keep) return;
    var row = document.querySelector('tr.ticket-row[data-ticket="' + keep + '"]');
    if (row) row.classList.add("selected");
  });
  // Presence: the heartbeat form (htmx posts it every 10 s and while the reply box changes) says
  // "replying" once the agent has typed a reply to the customer, "viewing" otherwise. Capture
  // phase, so the state is set before htmx reads the form for this very input.
  document.addEventListener("input", function (event) {
    if (event.target.id !== "reply-body") return;
    var state = document.getElementById("presence-state"), note = document.getElementById("internal-note");
    if (state) state.value = event.target.value.trim() && !(note && note.checked) ? "replying" : "viewing";
  }, true);
  // A held reply's "Cancel": with JavaScript, drop the warning and keep the draft in the box
  // (without it, the link reopens the workspace).
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("#collision-cancel")) return;
    event.preventDefault();
    document.getElementById("collision").remove();
    document.getElementById("reply-body").focus();
  });
  // @-mentions in the reply/note box: "@ana" before the caret asks the suggestions endpoint (the
  // "Mention" field does the asking); a click on a suggestion writes it into the box as an internal note.
  document.addEventListener("input", function (event) {
    if (event.target.id !== "reply-body") return;
    var before = event.target.value.slice(0, event.target.selectionStart);
    var match = /(?:^|\s)@([\w.+-]{1,50})$/.exec(before);
    var search = document.getElementById("mention-q");
    if (!match || !search) return;
    search.value = match[1];
    search.dispatchEvent(new Event("input", { bubbles: true }));
  });
  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("button.mention");
    var box = document.getElementById("reply-body");
    if (!pick || !box) return;
    var caret = box.selectionStart, text = box.value;
    var start = text.slice(0, caret).search(/@[\w.+-]*$/);
    if (start < 0) start = caret;
    box.value = text.slice(0, start) + pick.dataset.mention + " " + text.slice(caret);
    box.focus();
    box.selectionStart = box.selectionEnd = start + pick.dataset.mention.length + 1;
    document.getElementById("internal-note").checked = true;
  });
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("tr.ticket-row");
    if (row) sessionStorage.setItem("selected-ticket", row.dataset.ticket);
  });
})();
