// The shop page's small enhancements; everything works without them.
// 1. An error summary (GOV.UK pattern) takes focus when the page opens, so a screen reader
//    reads it and a phone shows it, however far down the field in error is.
// 2. The basket's running total follows the quantities as they are typed.
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (!summary) {
      return;
    }
    summary.focus();
    // Each error links to its field: put the cursor in it, its label in view (GOV.UK's way).
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.hash.slice(1));
      if (!field) {
        return;
      }
      event.preventDefault();
      var label = document.querySelector("label[for='" + field.id + "']");
      (label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  function followTotal(form) {
    var output = form.querySelector("[data-basket-total]");
    if (!output) {
      return;
    }
    var exponent = Number(form.dataset.exponent);
    var money = new Intl.NumberFormat(form.dataset.locale, {
      style: "currency",
      currency: form.dataset.currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    var inputs = form.querySelectorAll("input[data-unit-amount]");

    function update() {
      var total = 0;
      var valid = true;
      inputs.forEach(function (input) {
        if (input.disabled || input.value.trim() === "") {
          return;
        }
        var quantity = Number(input.value);
        if (!Number.isInteger(quantity) || quantity < 0) {
          valid = false;
          return;
        }
        total += quantity * Number(input.dataset.unitAmount);
      });
      output.textContent = valid ? money.format(total / Math.pow(10, exponent)) : "—";
    }

    inputs.forEach(function (input) {
      input.addEventListener("input", update);
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    document.querySelectorAll("form[data-currency]").forEach(followTotal);
  });
})();
