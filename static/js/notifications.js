/*
 * The live notification count in the header (docs/notifications.md).
 *
 * An enhancement only: without it the count is right on every page load. Included for
 * signed-in members by templates/notifications/_scripts.html. Listens on the member's
 * own Socket.IO room (the server joins it on connect) for:
 *   notification       {id, kind, text, url, unread_count, ...}
 *   notification.read  {ids, unread_count}
 * Text from the server is only ever set with textContent.
 */
(function () {
  "use strict";

  var link = document.getElementById("notification-link");
  if (!link) {
    return;
  }
  var script = document.currentScript;
  var vendorSrc = script ? script.getAttribute("data-socketio-src") : null;
  var nonce = script ? script.nonce : "";

  function setCount(count) {
    var badge = link.querySelector(".app-count");
    if (!count) {
      if (badge) { badge.remove(); }
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "app-count";
      link.appendChild(badge);
    }
    badge.textContent = String(count);
    var hidden = document.createElement("span");
    hidden.className = "nhsuk-u-visually-hidden";
    hidden.textContent = " unread";
    badge.appendChild(hidden);
  }

  function announce(message) {
    var live = document.getElementById("live-status");
    if (!live) { return; }
    live.textContent = "";
    window.setTimeout(function () { live.textContent = message; }, 50);
  }

  function addToList(data) {
    var list = document.getElementById("notification-list");
    if (!list || list.querySelector("[data-notification-id='" + Number(data.id) + "']")) {
      return;
    }
    var item = document.createElement("li");
    item.className = "app-notification app-notification--unread";
    item.setAttribute("data-notification-id", String(Number(data.id)));
    var tag = document.createElement("strong");
    tag.className = "nhsuk-tag nhsuk-tag--blue";
    tag.textContent = "New";
    var anchor = document.createElement("a");
    anchor.href = "/notifications/" + Number(data.id);
    anchor.textContent = data.text || "New notification";
    item.appendChild(tag);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(anchor);
    list.insertBefore(item, list.firstChild);
  }

  function listen() {
    // Reuse the live page's connection (realtime.js) when there is one: one per page.
    window.AlongsideRealtime = window.AlongsideRealtime || {};
    var socket = window.AlongsideRealtime.socket;
    if (!socket) {
      socket = window.io({ transports: ["websocket", "polling"], withCredentials: true });
      window.AlongsideRealtime.socket = socket;
      // Our rights changed (rooms.reset): the server drops this connection; connect again at
      // once so every room is joined afresh and checked (a refused join answers with an error).
      var resetAsked = false;
      socket.on("rooms.reset", function () { resetAsked = true; });
      socket.on("disconnect", function (why) { if (resetAsked && why === "io server disconnect") { resetAsked = false; socket.connect(); } });
    }
    socket.on("notification", function (data) {
      if (!data) { return; }
      setCount(Number(data.unread_count) || 0);
      addToList(data);
      announce("New notification: " + (data.text || ""));
    });
    socket.on("notification.read", function (data) {
      if (data) { setCount(Number(data.unread_count) || 0); }
    });
  }

  function start() {
    if (typeof window.io === "function") {
      listen();
      return;
    }
    if (!vendorSrc) { return; }
    // Pages without live threads have not loaded the Socket.IO client: load it now.
    var client = document.createElement("script");
    client.src = vendorSrc;
    if (nonce) { client.nonce = nonce; }
    client.onload = function () {
      if (typeof window.io === "function") { listen(); }
    };
    document.head.appendChild(client);
  }

  // Deferred scripts run before DOMContentLoaded, in page order: waiting for it lets a
  // page's own Socket.IO client (live threads) load first, so it is not loaded twice.
  if (document.readyState === "complete") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
}());
