/* Staff lists that update themselves: the review queue (/moderation/), the escalations
   list (/moderation/escalations) and who is on duty (/moderation/duty). When a staff room hears that something changed, fetch
   the list again and say what changed in the polite live region. A board's facilitators
   hear their boards' staff rooms (joined through the board rooms); leads and admins also
   hear the leads' room, where escalations that reach level 2 arrive (a lead may facilitate
   no board at all). Without JavaScript (or without a connection) the pages still work:
   reload to see changes. */
(function () {
  "use strict";
  var root = document.getElementById("queue-live");
  if (!root || typeof window.io !== "function") { return; }
  var items = document.getElementById("queue-items");
  var status = document.getElementById("queue-status");
  var url = root.getAttribute("data-items-url");
  // The queue has an endpoint that sends its list alone; the escalations page is fetched
  // whole and only the element with this id is taken from it.
  var part = root.getAttribute("data-items-part");
  var boards = (root.getAttribute("data-boards") || "").split(",").filter(Boolean);
  var leads = root.getAttribute("data-leads") === "true";
  // What the page listens for: everything (the queue), "escalations" or "duty" (who is on
  // duty, on the duty page).
  var listen = root.getAttribute("data-listen") || "queue";
  var escalationsOnly = listen === "escalations";
  var QUEUE_EVENTS = ["case.opened", "case.updated", "appeal.created", "post.held",
                      "duty.changed", "handover.added"];
  var ESCALATION_EVENTS = ["escalation.opened", "escalation.updated", "escalation.level_up"];
  var pending = null;
  var heard = {};
  var connection = 0;  // joins still waiting from an earlier connection are dropped

  function listFrom(html) {
    if (!part) { return html; }
    var found = new DOMParser().parseFromString(html, "text/html").getElementById(part);
    return found ? found.innerHTML : null;
  }

  function summary() {
    var said = [];
    if (heard.queue) {
      var count = items.querySelector("[data-queue-count]");
      said.push("The review queue has been updated." +
        (count ? " " + count.getAttribute("data-queue-count") + " items to review." : ""));
    }
    if (heard.duty) { said.push("Who is on duty has changed."); }
    if (heard.escalations) {
      said.push(heard.levelUp ? "An escalation has moved up a level."
                              : "The escalations have been updated.");
      var esc = items.querySelector("[data-escalation-summary]");
      if (esc) { said.push(esc.getAttribute("data-escalation-summary")); }
    }
    return said.join(" ");
  }

  function refresh() {
    pending = null;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var list = html === null ? null : listFrom(html);
        if (list === null) { return; }
        items.innerHTML = list;
        // The summary reads the new list, so take what was heard only after it is in.
        status.textContent = summary();
        heard = {};
      })
      .catch(function () {
        heard = {};
        status.textContent = "There may be changes. Reload the page to see them.";
      });
  }

  // Several events can arrive together: refresh once for the burst.
  function schedule(kind, name) {
    heard[kind] = true;
    if (name === "escalation.level_up") { heard.levelUp = true; }
    if (!pending) { pending = window.setTimeout(refresh, 300); }
  }

  // Marks the list as live once a room has taken it (tests and styles can wait for it).
  function joined(ack) { if (ack && ack.ok) { root.setAttribute("data-live", "joined"); } }

  var socket = window.io({ transports: ["websocket", "polling"], withCredentials: true });
  // Our rights changed (rooms.reset): the server drops this connection; connect again at
  // once so every room is joined afresh and checked (a refused join answers with an error).
  var resetAsked = false;
  socket.on("rooms.reset", function () { resetAsked = true; });
  socket.on("disconnect", function (why) { if (resetAsked && why === "io server disconnect") { resetAsked = false; socket.connect(); } });
  if (listen === "duty") {
    socket.on("duty.changed", function () { schedule("duty", "duty.changed"); });
  } else {
    if (!escalationsOnly) {
      QUEUE_EVENTS.forEach(function (name) {
        socket.on(name, function () { schedule("queue", name); });
      });
    }
    ESCALATION_EVENTS.forEach(function (name) {
      socket.on(name, function () { schedule("escalations", name); });
    });
  }
  socket.on("connect", function () {
    // Joining a board's room also brings a facilitator into its staff room. The server
    // takes a burst of 20 messages, then 2 a second, and follows at most 60 rooms per
    // connection: past the burst the joins are spaced out rather than cut off.
    var mine = ++connection;
    var targets = (leads ? [{ staff: "leads" }] : []).concat(
      boards.map(function (slug) { return { board: slug }; })).slice(0, 60);
    targets.forEach(function (target, i) {
      var wait = i < 15 ? 0 : (i - 14) * 600;
      window.setTimeout(function () {
        if (socket.connected && mine === connection) { socket.emit("join", target, joined); }
      }, wait);
    });
  });
}());
