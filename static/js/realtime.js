/*
 * Live threads, boards and the board list (docs/realtime.md describes the protocol).
 *
 * An enhancement only: every page works without it. Included by
 * templates/realtime/_scripts.html after the vendored Socket.IO client (global `io`).
 * One handler per server event, in HANDLERS below. The server's `html` is already
 * sanitised (forum/markup.py) and is the only thing inserted as HTML; every other field
 * is set as text.
 *
 * Page hooks it looks for:
 *   thread page  #thread[data-thread-id][data-board][data-page][data-pages], posts in
 *                #posts (an <ol> of <li><article id="post-N" data-post-id=N ...>),
 *                the reply form .app-reply-form with a <textarea>.
 *   board page   #board[data-board] or the path /boards/<slug>, rows in .app-thread-list.
 *   board list   .app-board-list__item[id="board-<slug>"].
 */
(function () {
  "use strict";

  if (typeof window.io !== "function") {
    return;
  }

  var TYPING_EVERY_MS = 3000;
  var TYPING_SHOWN_MS = 6000;
  var RECOUNT_AFTER_MS = 1500;
  var TIME_FORMAT = new Intl.DateTimeFormat("en-GB", {
    day: "numeric", month: "long", year: "numeric",
    hour: "numeric", minute: "2-digit", hour12: true, timeZone: "Europe/London"
  });

  // ---- what this page is -------------------------------------------------------------

  var threadRoot = document.querySelector("#thread[data-thread-id]");
  var postList = threadRoot ? threadRoot.querySelector("#posts") : null;
  var boardRoot = document.querySelector("#board[data-board]");
  var boardPathMatch = window.location.pathname.match(/^\/boards\/([a-z0-9][a-z0-9-]*)\/?$/);
  var boardSlug = boardRoot ? boardRoot.getAttribute("data-board")
    : (boardPathMatch ? boardPathMatch[1] : null);
  var boardItems = Array.prototype.slice.call(
    document.querySelectorAll(".app-board-list__item[id^='board-']"));

  if (!threadRoot && !boardSlug && boardItems.length === 0) {
    return;
  }

  var threadId = threadRoot ? Number(threadRoot.getAttribute("data-thread-id")) : null;
  var onLastPage = threadRoot
    ? Number(threadRoot.getAttribute("data-page") || 1) >= Number(threadRoot.getAttribute("data-pages") || 1)
    : false;

  // ---- small helpers -----------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  function formatTime(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? "" : TIME_FORMAT.format(date).replace(" at ", ", ");
  }

  var liveStatus = document.getElementById("live-status");
  function announce(message) {
    if (!liveStatus) { return; }
    // Clearing first makes a screen reader announce the same words twice in a row.
    liveStatus.textContent = "";
    window.setTimeout(function () { liveStatus.textContent = message; }, 50);
  }

  function highestPostId() {
    var highest = 0;
    if (!postList) { return highest; }
    postList.querySelectorAll("[data-post-id]").forEach(function (node) {
      highest = Math.max(highest, Number(node.getAttribute("data-post-id")) || 0);
    });
    return highest;
  }

  function findPost(id) {
    return postList ? postList.querySelector("[data-post-id='" + Number(id) + "']") : null;
  }

  function isInView(node) {
    if (!node) { return true; }
    var box = node.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }

  // ---- thread page: live status line (presence and typing) ---------------------------

  var statusLine = null;
  var presenceText = null;
  var typingText = null;
  var typingTimer = null;
  if (threadRoot && postList) {
    // Not a live region: "who is reading" changes too often to be read out.
    statusLine = el("p", "app-live-line nhsuk-body-s");
    presenceText = el("span", "app-live-line__presence");
    typingText = el("span", "app-live-line__typing");
    typingText.hidden = true;
    statusLine.appendChild(presenceText);
    statusLine.appendChild(typingText);
    postList.parentNode.insertBefore(statusLine, postList.nextSibling);
  }

  // ---- thread page: the "N new replies" bar ------------------------------------------

  var unseen = [];  // ids of live posts added while the reader was scrolled up
  var latestUrl = null;  // on an earlier page: the first new reply's address
  var newBar = null;
  function updateNewBar() {
    if (!threadRoot) { return; }
    if (unseen.length === 0) {
      if (newBar) { newBar.hidden = true; }
      return;
    }
    if (!newBar) {
      newBar = el("button", "app-new-replies nhsuk-button nhsuk-button--reverse");
      newBar.type = "button";
      newBar.addEventListener("click", function () {
        if (!onLastPage && latestUrl) {
          window.location.assign(latestUrl);
          return;
        }
        var first = document.getElementById("post-" + unseen[0]);
        unseen = [];
        updateNewBar();
        if (first) {
          first.setAttribute("tabindex", "-1");
          first.scrollIntoView({ block: "start" });
          first.focus({ preventScroll: true });
        }
      });
      document.body.appendChild(newBar);
    }
    newBar.textContent = plural(unseen.length, "new reply", "new replies") + " – show";
    newBar.hidden = false;
  }

  window.addEventListener("scroll", function () {
    if (unseen.length && isInView(document.getElementById("post-" + unseen[unseen.length - 1]))) {
      unseen = [];
      updateNewBar();
    }
  }, { passive: true });

  // ---- thread page: rendering a post like templates/threads/_post.html ---------------

  var reactionTemplate = postList ? postList.querySelector(".app-reactions form") : null;
  reactionTemplate = reactionTemplate ? reactionTemplate.closest(".app-reactions") : null;

  function reactionsFor(postId) {
    // Reuse the page's own reaction forms (they carry this reader's CSRF token).
    if (!reactionTemplate) { return null; }
    var list = reactionTemplate.cloneNode(true);
    list.querySelectorAll("form").forEach(function (form) {
      form.setAttribute("action", form.getAttribute("action").replace(/\/posts\/\d+\//, "/posts/" + postId + "/"));
      var action = form.querySelector("input[name='action']");
      if (action) { action.value = "add"; }
      var button = form.querySelector("button");
      if (button) { button.setAttribute("aria-pressed", "false"); }
      var count = form.querySelector(".app-reaction__count");
      if (count) { count.textContent = "0"; count.setAttribute("data-count", "0"); }
      var hidden = button ? button.querySelector(".nhsuk-u-visually-hidden") : null;
      if (hidden) { hidden.textContent = " people"; }
    });
    return list;
  }

  function placeholder(state) {
    var text = state === "hidden" ? "This post has been hidden by a facilitator." : "This post was deleted.";
    var p = el("p", "app-post__placeholder");
    p.appendChild(el("em", null, text));
    return p;
  }

  function renderPost(data) {
    var id = Number(data.post_id);
    var state = String(data.state || "published");
    var article = el("article", "app-post app-post--" + state + (data.is_guidance ? " app-post--guidance app-facilitator-note" : ""));
    article.id = "post-" + id;
    article.setAttribute("data-post-id", String(id));
    article.setAttribute("data-state", state);
    article.setAttribute("aria-labelledby", "post-" + id + "-by");

    var meta = el("header", "app-post__meta");
    if (data.is_guidance) { meta.appendChild(el("strong", "nhsuk-tag nhsuk-tag--green", "Facilitator guidance")); }
    meta.appendChild(el("strong", "nhsuk-tag nhsuk-tag--blue", "New"));
    var by = el("span");
    by.id = "post-" + id + "-by";
    by.appendChild(el("span", "nhsuk-u-visually-hidden", "Post by "));
    by.appendChild(el("strong", "app-post__author", data.author));
    meta.appendChild(by);
    var link = el("a", "app-post__permalink");
    link.href = String(data.url || "");
    var time = el("time", null, formatTime(data.created_at));
    time.setAttribute("datetime", String(data.created_at || ""));
    link.appendChild(time);
    link.appendChild(el("span", "nhsuk-u-visually-hidden", " (link to this post)"));
    meta.appendChild(link);
    article.appendChild(meta);

    if (state === "deleted") {
      article.appendChild(placeholder(state));
      return article;
    }
    if (state === "held") {
      var status = el("p", "app-post__status");
      status.appendChild(el("strong", "nhsuk-tag nhsuk-tag--yellow", "Waiting for a facilitator"));
      article.appendChild(status);
    }
    var body = el("div", "app-post__body");
    body.innerHTML = String(data.html || "");  // sanitised by the server (forum/markup.py)
    article.appendChild(body);
    if (state === "published") {
      var reactions = reactionsFor(id);
      if (reactions) { article.appendChild(reactions); }
    }
    return article;
  }

  function insertPost(data) {
    var id = Number(data.post_id);
    if (!postList || !id || findPost(id)) {
      return false;  // already shown (catch-up and broadcast may both deliver it)
    }
    var lastBefore = postList.lastElementChild;
    var wasInView = isInView(lastBefore);
    var item = el("li");
    item.appendChild(renderPost(data));
    // Keep id order even if a late catch-up post arrives after a newer broadcast one.
    var next = null;
    postList.querySelectorAll("[data-post-id]").forEach(function (node) {
      if (!next && Number(node.getAttribute("data-post-id")) > id) { next = node.closest("li"); }
    });
    postList.insertBefore(item, next);
    if (!wasInView) {
      unseen.push(id);
      updateNewBar();
    }
    return true;
  }

  // ---- board page and board list -----------------------------------------------------

  function threadRow(data) {
    var item = el("li", "app-thread-list__item app-thread-list__item--unread");
    item.id = "thread-" + Number(data.thread_id);
    item.setAttribute("data-thread-id", String(Number(data.thread_id)));
    var heading = el("h3", "nhsuk-heading-s nhsuk-u-margin-bottom-1");
    var link = el("a", null, data.title);
    link.href = String(data.url || "");
    heading.appendChild(link);
    item.appendChild(heading);
    var tags = el("p", "nhsuk-body-s nhsuk-u-margin-bottom-1");
    tags.appendChild(el("strong", "nhsuk-tag nhsuk-tag--blue", "New"));
    item.appendChild(tags);
    item.appendChild(el("p", "nhsuk-body-s app-secondary-text",
      "Started by " + data.author + ". " + plural(Number(data.reply_count) || 0, "reply", "replies") + ". Last post just now."));
    return item;
  }

  function boardThreadList() {
    var list = document.querySelector(".app-thread-list");
    if (!list) {
      var heading = Array.prototype.find.call(document.querySelectorAll("h2"), function (h) {
        return h.textContent.trim() === "Conversations";
      });
      if (!heading) { return null; }
      list = el("ul", "nhsuk-list app-thread-list");
      var empty = heading.nextElementSibling;
      if (empty && empty.tagName === "P") { empty.remove(); }
      heading.parentNode.insertBefore(list, heading.nextSibling);
    }
    return list;
  }

  var recountTimers = {};
  function recountBoard(slug) {
    // Ask again with `join` (idempotent): its answer carries this member's unread count.
    window.clearTimeout(recountTimers[slug]);
    recountTimers[slug] = window.setTimeout(function () {
      socket.emit("join", { board: slug }, function (ack) {
        if (ack && ack.ok) { showUnread(slug, Number(ack.unread_threads) || 0); }
      });
    }, RECOUNT_AFTER_MS);
  }

  function showUnread(slug, count) {
    var item = document.getElementById("board-" + slug);
    if (!item) { return; }
    var heading = item.querySelector("h3") || item;
    var tag = heading.querySelector(".nhsuk-tag--blue");
    if (count === 0) {
      if (tag) { tag.remove(); }
      return;
    }
    if (!tag) {
      tag = el("strong", "nhsuk-tag nhsuk-tag--blue");
      heading.appendChild(document.createTextNode(" "));
      heading.appendChild(tag);
    }
    tag.textContent = plural(count, "conversation", "conversations") + " with new posts";
  }

  // ---- one handler per server event --------------------------------------------------

  var HANDLERS = {
    "post.created": function (data) {
      if (!threadRoot || Number(data.thread_id) !== threadId) { return; }
      if (!onLastPage) {
        // This page is full; the reply is on a later one. The bar links to it.
        latestUrl = latestUrl || String(data.url || "");
        unseen.push(Number(data.post_id));
        updateNewBar();
        announce("New reply from " + data.author + ". It is on a later page.");
        return;
      }
      if (insertPost(data)) {
        announce("New reply from " + data.author);
      }
    },
    "post.held": function (data) {
      // Staff (and the author) see a held post in place, marked as waiting.
      if (threadRoot && Number(data.thread_id) === threadId && onLastPage) {
        insertPost(data);
      }
    },
    "post.updated": function (data) {
      var post = findPost(data.post_id);
      var body = post ? post.querySelector(".app-post__body") : null;
      if (!body) { return; }
      body.innerHTML = String(data.html || "");  // sanitised by the server
      var meta = post.querySelector(".app-post__meta");
      if (meta && !meta.querySelector(".app-post__edited")) {
        meta.appendChild(document.createTextNode(" "));
        meta.appendChild(el("span", "app-post__edited", "(edited)"));
      }
    },
    "post.deleted": function (data) {
      var post = findPost(data.post_id);
      if (!post) { return; }
      var state = data.state === "deleted" ? "deleted" : "hidden";
      var keep = post.querySelector(".app-post__meta");
      while (post.lastChild && post.lastChild !== keep) { post.removeChild(post.lastChild); }
      post.setAttribute("data-state", state);
      post.appendChild(placeholder(state));
    },
    "reaction.changed": function (data) {
      var post = findPost(data.post_id);
      if (!post || !data.counts) { return; }
      Object.keys(data.counts).forEach(function (kind) {
        var n = Number(data.counts[kind]) || 0;
        var button = post.querySelector(".app-reaction[data-kind='" + kind.replace(/[^a-z_]/g, "") + "']");
        var count = button ? button.querySelector(".app-reaction__count") : null;
        if (count) {
          count.textContent = String(n);
          count.setAttribute("data-count", String(n));
        }
      });
    },
    "thread.created": function (data) {
      if (boardSlug && data.board === boardSlug) {
        var list = boardThreadList();
        if (list && !document.getElementById("thread-" + Number(data.thread_id))) {
          var firstUnpinned = Array.prototype.find.call(list.children, function (li) {
            return !li.querySelector(".nhsuk-tag--purple");
          });
          list.insertBefore(threadRow(data), firstUnpinned || null);
          announce("New conversation: " + data.title);
        }
      }
      if (boardItems.length) { recountBoard(data.board); }
    },
    "thread.updated": function (data) {
      if (boardSlug && data.board === boardSlug) {
        var row = document.getElementById("thread-" + Number(data.thread_id));
        var line = row ? row.querySelector(".app-secondary-text") : null;
        if (line) {
          line.textContent = line.textContent.replace(/\d+ repl(y|ies)\./,
            plural(Number(data.reply_count) || 0, "reply", "replies") + ".");
        }
        if (row && !row.classList.contains("app-thread-list__item--unread")) {
          row.classList.add("app-thread-list__item--unread");
          var tags = row.querySelector("p");
          if (tags && !tags.querySelector(".nhsuk-tag--blue")) {
            tags.appendChild(el("strong", "nhsuk-tag nhsuk-tag--blue", "New posts"));
          }
        }
      }
      if (boardItems.length) { recountBoard(data.board); }
    },
    "typing": function (data) {
      if (!typingText || Number(data.thread_id) !== threadId) { return; }
      typingText.textContent = "Someone is writing a reply…";
      typingText.hidden = false;
      window.clearTimeout(typingTimer);
      typingTimer = window.setTimeout(function () { typingText.hidden = true; }, TYPING_SHOWN_MS);
    },
    "presence": function (data) {
      if (!presenceText || Number(data.thread_id) !== threadId) { return; }
      var n = Number(data.count) || 0;
      presenceText.textContent = n > 1 ? plural(n, "person", "people") + " reading now. " : "";
    }
  };

  // ---- connection and rooms ----------------------------------------------------------

  // Cookie sign-in; same origin. Reconnects on its own with growing delays.
  var socket = window.io({ transports: ["websocket", "polling"], withCredentials: true });
  // Shared with notifications.js (the header's live count), so a page opens one connection.
  window.AlongsideRealtime = window.AlongsideRealtime || {};
  window.AlongsideRealtime.socket = socket;
  Object.keys(HANDLERS).forEach(function (name) { socket.on(name, HANDLERS[name]); });
  // Our rights changed (rooms.reset): the server drops this connection; connect again at
  // once so every room is joined afresh and checked (a refused join answers with an error).
  var resetAsked = false;
  socket.on("rooms.reset", function () { resetAsked = true; });
  socket.on("disconnect", function (why) { if (resetAsked && why === "io server disconnect") { resetAsked = false; socket.connect(); } });

  function joinRooms() {
    if (threadRoot) {
      // `after` makes the server send whatever was written while we were away.
      // Only the last page catches up: an earlier page is full and just counts new replies.
      var target = onLastPage ? { thread: threadId, after: highestPostId() } : { thread: threadId };
      socket.emit("join", target, function (ack) {
        // Marks the page as live (tests and styles can rely on it).
        threadRoot.setAttribute("data-live", ack && ack.ok ? "joined" : "off");
        if (ack && ack.ok && ack.more) { announce("There are more new replies. Reload the page to see them all."); }
      });
    }
    if (boardSlug) { socket.emit("join", { board: boardSlug }); }
    boardItems.slice(0, 50).forEach(function (item) {
      socket.emit("join", { board: item.id.replace(/^board-/, "") });
    });
  }
  socket.on("connect", joinRooms);  // also after every reconnect

  // ---- live updates paused -----------------------------------------------------------
  // The server says so when the queue behind live updates is down (live.paused, then
  // live.resumed: forum/live_status.py); a connection lost for a few seconds says the same
  // here. The page itself keeps working either way: this only explains the quiet.
  var OFFLINE_NOTICE_MS = 5000;
  var OFFLINE_MESSAGE = "Live updates are paused while we reconnect. New replies will not " +
    "appear on their own for now: reload the page to see them.";
  var pausedNotice = null;
  var offlineTimer = null;

  function showPaused(message) {
    if (!pausedNotice) {
      pausedNotice = el("div", "nhsuk-inset-text app-live-paused");
      pausedNotice.id = "live-paused";
      pausedNotice.setAttribute("role", "status");
      pausedNotice.appendChild(el("span", "nhsuk-u-visually-hidden", "Information: "));
      pausedNotice.appendChild(el("p", null, ""));
      var main = document.getElementById("maincontent") || document.body;
      main.insertBefore(pausedNotice, main.firstChild);
    }
    pausedNotice.lastChild.textContent = message;
    pausedNotice.hidden = false;
  }

  function hidePaused() {
    if (pausedNotice) { pausedNotice.hidden = true; }
  }

  socket.on("live.paused", function (data) {
    showPaused(data && typeof data.message === "string" ? data.message : OFFLINE_MESSAGE);
  });
  // Back: connect again, so every room is joined afresh and what was missed arrives.
  socket.on("live.resumed", function () {
    hidePaused();
    socket.disconnect();
    socket.connect();
  });
  // A connection made while updates are still paused hears live.paused straight after.
  socket.on("connect", function () { window.clearTimeout(offlineTimer); hidePaused(); });
  socket.on("disconnect", function (why) {
    // Lost, not ended on purpose (signing out ends it with its own message).
    if (why !== "transport close" && why !== "transport error" && why !== "ping timeout") { return; }
    window.clearTimeout(offlineTimer);
    offlineTimer = window.setTimeout(function () {
      if (!socket.connected) { showPaused(OFFLINE_MESSAGE); }
    }, OFFLINE_NOTICE_MS);
  });

  // Tell others someone is writing: at most once every few seconds, never what or who.
  var textarea = threadRoot ? document.querySelector(".app-reply-form textarea") : null;
  var lastTyping = 0;
  if (textarea) {
    textarea.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTyping >= TYPING_EVERY_MS && socket.connected) {
        lastTyping = now;
        socket.emit("typing", { thread: threadId });
      }
    });
  }
})();
