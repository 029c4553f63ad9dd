/* The review queue updates itself: when the staff room hears that a case opened or
   changed, fetch the list again and say so politely to screen readers. Without
   JavaScript (or without a connection) the page still works: reload to see changes. */
(function () {
  "use strict";
  var root = document.getElementById("queue-live");
  if (!root || typeof window.io !== "function") { return; }
  var items = document.getElementById("queue-items");
  var status = document.getElementById("queue-status");
  var url = root.getAttribute("data-items-url");
  var boards = (root.getAttribute("data-boards") || "").split(",").filter(Boolean);
  var pending = null;

  function refresh() {
    pending = null;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        items.innerHTML = html;
        var count = items.querySelector("[data-queue-count]");
        status.textContent = "The review queue has been updated. " +
          (count ? count.getAttribute("data-queue-count") + " items to review." : "");
      })
      .catch(function () { status.textContent = "New items may be waiting. Reload the page to see them."; });
  }

  // Several events can arrive together: refresh once for the burst.
  function schedule() { if (!pending) { pending = window.setTimeout(refresh, 300); } }

  var socket = window.io({ transports: ["websocket", "polling"], withCredentials: true });
  ["case.opened", "case.updated", "appeal.created", "post.held", "escalation.opened",
   "escalation.updated", "escalation.level_up", "duty.changed", "handover.added"].forEach(function (name) {
    socket.on(name, schedule);
  });
  socket.on("connect", function () {
    // Joining a board's room also brings a facilitator into its staff room.
    boards.slice(0, 100).forEach(function (slug) { socket.emit("join", { board: slug }); });
  });
}());
