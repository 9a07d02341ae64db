// Formats every page shares (core/templatetags/formats.py): the viewer's time zone and copying phone numbers.
(function () {
  "use strict";

  // The browser's time zone, told to the server once in the `tz` cookie (core/timezones.py activates it). The
  // sign-in page sets it, so every screen after it shows times in the viewer's zone.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const current = document.cookie.split("; ").find(function (pair) { return pair.startsWith("tz="); });
  // IANA names ("America/Los_Angeles") hold only characters a cookie value may: written as they are.
  if (zone && /^[A-Za-z0-9_+\/-]+$/.test(zone) && (!current || current.slice(3) !== zone)) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }

  // A phone number shows in its national format and copies as E.164 (+14155550101), the form a dialer or a
  // search anywhere takes: a selection within one number copies that number; a wider one copies its text with
  // each number in it written as E.164.
  document.addEventListener("copy", function (event) {
    const selection = document.getSelection();
    if (!selection || selection.rangeCount === 0 || !event.clipboardData) return;
    const range = selection.getRangeAt(0);
    const phones = Array.from(document.querySelectorAll(".phone[data-e164]")).filter(function (element) {
      return range.intersectsNode(element);
    });
    if (phones.length === 0) return;
    let text = selection.toString();
    if (phones.length === 1 && phones[0].textContent.includes(text.trim())) {
      text = phones[0].dataset.e164;
    } else {
      phones.forEach(function (element) { text = text.replace(element.textContent, element.dataset.e164); });
    }
    event.clipboardData.setData("text/plain", text);
    event.preventDefault();
  });
})();
