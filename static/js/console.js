// The call console: keyboard shortcuts, and browser calling through Twilio's Voice SDK when configured.
(function () {
  "use strict";
  const root = document.getElementById("console");

  function typing(event) {
    const tag = (event.target.tagName || "").toLowerCase();
    return tag === "textarea" || tag === "select" || (tag === "input" && !["radio", "checkbox"].includes(event.target.type));
  }

  function click(selector) {
    const element = document.querySelector(selector);
    if (element && !element.disabled) { element.click(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey && event.key === "Enter") {
      // "Continue" is the button each step marks as such (on step 5: to the wrap-up), never the first button
      // found: a key never sends the customer anything the agent did not choose.
      const button = document.querySelector("#step [data-continue]:not([data-outbound])");
      if (button && !button.disabled) {
        event.preventDefault();
        // A step swapped in a moment ago may not be wired up by htmx yet: a click then would post the form as a
        // plain page (the console reloaded mid-call). Processing it first is harmless when it is done already.
        if (window.htmx && button.form) window.htmx.process(button.form);
        button.click();  // a click: the button's name and value go too
      }
      return;
    }
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "n" && (click("#next-cart") || click("#resume-call"))) { event.preventDefault(); return; }
    if (!root) return;
    if (key === "d" && click("#dial")) { event.preventDefault(); return; }
    if (key === "h" && click("#hang-up")) { event.preventDefault(); return; }
    if (key === "w" && (click("#call-ended") || click("#step-submit[class~=secondary]"))) { event.preventDefault(); return; }
    // An option's key (agents/console_keys.py: 1-9, 0, then letters) ticks or picks it; it never presses a button.
    if (/^[0-9a-z]$/.test(key)) {
      const option = document.querySelector('#step input[data-key="' + key + '"]');
      if (option && (option.type === "radio" || option.type === "checkbox")) {
        event.preventDefault();
        option.checked = option.type === "radio" ? true : !option.checked;
        option.focus();
      }
    }
  });

  // Offline line buttons: handled here, at the document, because the line block is replaced on every poll and
  // a button htmx has not wired up yet would ignore a click.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-line-action]");
    if (!button || !window.htmx) return;
    event.preventDefault();
    button.disabled = true;
    window.htmx.ajax("POST", button.dataset.lineAction, { source: button, target: "#line", swap: "outerHTML" });
  });

  // Timers (time on the call, after-call work): the server renders the seconds so far by its own clock, and the
  // browser counts on from when it received them, so a browser whose clock is off still shows the right time.
  const received = new WeakMap();
  function clockText(seconds) { return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0"); }
  function tick() {
    document.querySelectorAll("[data-elapsed]").forEach(function (timer) {
      if (!received.has(timer)) received.set(timer, Date.now());
      let seconds = Number(timer.dataset.elapsed) || 0;
      if (timer.hasAttribute("data-running")) seconds += Math.floor((Date.now() - received.get(timer)) / 1000);
      const shown = timer.querySelector("time");
      if (shown) shown.textContent = clockText(seconds);
    });
  }
  tick();
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSettle", tick);

  if (!root || root.dataset.voiceMode !== "twilio") return;

  // Browser calling: the server's voice webhook dials the customer's number on file after the compliance gate.
  let device = null;
  let activeCall = null;

  async function ready() {
    if (device) return device;
    const response = await fetch(root.dataset.tokenUrl, { credentials: "same-origin" });
    const grant = await response.json();
    device = new window.Twilio.Device(grant.token, { codecPreferences: ["opus", "pcmu"], closeProtection: true });
    device.on("tokenWillExpire", async function () {
      const renewed = await (await fetch(root.dataset.tokenUrl, { credentials: "same-origin" })).json();
      device.updateToken(renewed.token);
    });
    return device;
  }

  function refreshLine() { if (window.htmx) window.htmx.ajax("GET", root.dataset.lineUrl, { target: "#line", swap: "outerHTML" }); }

  document.addEventListener("click", async function (event) {
    if (event.target.closest("[data-dial]")) {
      event.preventDefault();
      try {
        activeCall = await (await ready()).connect({ params: { call_id: root.dataset.callId } });
        activeCall.on("accept", refreshLine);
        activeCall.on("disconnect", refreshLine);
        setTimeout(refreshLine, 500);
      } catch (error) {
        alert("The call could not start: " + error.message);
      }
    } else if (event.target.closest("[data-hangup]")) {
      event.preventDefault();
      if (activeCall) activeCall.disconnect();
      setTimeout(refreshLine, 500);
    }
  });
})();
