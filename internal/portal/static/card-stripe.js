// The portal's card form with Stripe (--payments stripe only; loaded after
// Stripe.js from https://js.stripe.com/v3, as Stripe requires). Stripe's
// card Element, in Stripe's own frame, takes the card; when the form is
// sent with a new card, Stripe.js makes a payment method of it and the
// form posts only that ID (payment_method): the card number never reaches
// dialtone. The server saves it with a SetupIntent and pays with a
// PaymentIntent; a bank that asks the customer to authenticate sends them
// to its page and back to /orders/{id}/return.
(function () {
  "use strict";
  function setup(box) {
    var form = box.closest("form");
    var note = box.querySelector("[data-stripe-nojs]");
    if (!form || typeof Stripe !== "function") {
      if (note) note.textContent = "Stripe's card form did not load: reload the page, or pay from the balance or with a saved card.";
      return;
    }
    var stripe = Stripe(box.getAttribute("data-key"));
    var card = stripe.elements().create("card", { hidePostalCode: true });
    card.mount(box.querySelector("[data-stripe-mount]"));
    if (note) note.hidden = true;
    var out = box.querySelector("input[name=payment_method]");
    var errors = box.querySelector("[data-stripe-errors]");
    card.on("change", function (e) { errors.textContent = e.error ? e.error.message : ""; });
    var busy = false;
    form.addEventListener("submit", function (ev) {
      if (ev.submitter && ev.submitter.name === "action") return; // e.g. Apply a promo code
      var choice = form.querySelector("input[name=pay]:checked");
      if (choice && choice.value !== "new") return; // the balance or a saved card
      if (out.value) return;
      ev.preventDefault();
      if (busy) return;
      busy = true;
      stripe.createPaymentMethod({ type: "card", card: card }).then(function (r) {
        busy = false;
        if (r.error) {
          errors.textContent = r.error.message;
          return;
        }
        out.value = r.paymentMethod.id;
        form.submit();
      });
    });
  }
  document.querySelectorAll("[data-stripe-card]").forEach(setup);
})();
