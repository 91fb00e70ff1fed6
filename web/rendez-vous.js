"use strict";
// A driving school's appointments at the prefecture (issue 9): the open slots of its département
// (GET /appointments/slots, with the places left), booking one for one of its requests with a
// reason (POST /appointments/bookings), its bookings with a cancel button until 24 hours before
// (GET and DELETE /appointments/bookings). What the API refuses (a full slot...) is shown as it says.

(function rendezVous() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const form = byId("formulaire-reservation");

  function slotLabel(slot) {
    return slot.day_label + ", " + slot.start_time.replace(":", "h") + "–" + slot.end_time.replace(":", "h");
  }

  function placesText(slot) {
    return slot.places_left ? slot.places_left + (slot.places_left > 1 ? " places" : " place") : "Complet";
  }

  function table(caption, headers, rows) {
    return el("table", {}, el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, headers.map((text) => el("th", { scope: "col", text })))),
      el("tbody", {}, rows));
  }

  async function load() {
    if (!await Permis.profileFor(["auto-ecole"], "Les rendez-vous pour les dossiers complexes sont réservés aux auto-écoles.")) return;
    for (const id of ["bloc-creneaux", "bloc-reservation", "bloc-mes-rendez-vous"]) byId(id).hidden = false;
    await Promise.all([loadSlots(), loadRequests(), loadBookings()]);
  }

  async function loadSlots() {
    const result = await Permis.callApi("/appointments/slots", { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-creneaux"), result.data.message, "echec");
      return;
    }
    const slots = result.data.slots;
    byId("titre-creneaux").textContent = "Les créneaux proposés dans votre département (" + result.data.departement + ")";
    Permis.showMessage(byId("etat-creneaux"), slots.length ? "" : "Aucun créneau n'est proposé pour les semaines à venir.",
      slots.length ? null : "info");
    const rows = slots.map((slot) => el("tr", {},
      el("th", { scope: "row", text: slotLabel(slot) }),
      el("td", { text: slot.place }),
      el("td", {}, el("span", { className: "fr-badge fr-badge--sm " + (slot.places_left ? "fr-badge--success" : "fr-badge--error"),
        text: placesText(slot) })),
      el("td", {}, slot.places_left ? el("button", {
        type: "button", className: "fr-btn fr-btn--secondary fr-btn--sm", text: "Choisir",
        "aria-label": "Choisir le créneau du " + slotLabel(slot),
        onclick: () => { byId("reservation-slot_id").value = slot.slot_id; byId("reservation-request_id").focus(); },
      }) : "")));
    byId("contenu-creneaux").replaceChildren(table("Créneaux proposés", ["Jour et heure", "Lieu", "Places restantes", "Action"], rows));
    const select = byId("reservation-slot_id");
    const chosen = select.value;
    select.replaceChildren(el("option", { value: "", text: "Choisissez un créneau" }),
      ...slots.filter((slot) => slot.places_left).map((slot) => el("option", { value: slot.slot_id,
        text: slotLabel(slot) + " – " + placesText(slot) })));
    select.value = chosen && [...select.options].some((o) => o.value === chosen) ? chosen : "";
  }

  async function loadRequests() {
    const result = await Permis.callApi("/requests?limit=100", { token: true });
    if (result.sessionOver || !result.ok) return;
    byId("reservation-request_id").replaceChildren(el("option", { value: "", text: "Choisissez une demande" }),
      ...result.data.requests.map((request) => el("option", { value: request.request_id,
        text: "N° " + request.request_id + " – " + (request.candidate_name || "candidat à préciser") + " – "
          + request.status_label })));
  }

  async function loadBookings() {
    const result = await Permis.callApi("/appointments/bookings", { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-mes-rendez-vous"), result.data.message, "echec");
      return;
    }
    const bookings = result.data.bookings;
    byId("contenu-mes-rendez-vous").replaceChildren(bookings.length ? table("Mes rendez-vous",
      ["Jour et heure", "Lieu", "Demande", "Motif", "Annulation"], bookings.map((booking) => el("tr", {},
        el("th", { scope: "row", text: booking.slot ? slotLabel(booking.slot) : Permis.formatDate(booking.starts_at, true) }),
        el("td", { text: booking.slot ? booking.slot.place : "" }),
        el("td", { text: "N° " + booking.request_id }),
        el("td", { className: "motif", text: booking.reason }),
        el("td", {}, booking.can_cancel ? el("button", {
          type: "button", className: "fr-btn fr-btn--tertiary fr-btn--sm fr-btn--icon-left fr-icon-delete-line",
          text: "Annuler", "aria-label": "Annuler le rendez-vous de la demande " + booking.request_id,
          title: "Annulable jusqu'au " + Permis.formatDate(booking.cancel_until, true),
          onclick: (event) => cancel(booking, event.currentTarget),
        }) : "Plus annulable (jusqu'au " + Permis.formatDate(booking.cancel_until, true) + ")")))) : "");
    Permis.showMessage(byId("etat-mes-rendez-vous"), bookings.length ? "" : "Vous n'avez aucun rendez-vous à venir.",
      bookings.length ? null : "info");
  }

  async function cancel(booking, button) {
    Permis.busy(button, true, "Annulation…");
    const result = await Permis.callApi("/appointments/bookings/" + encodeURIComponent(booking.booking_id), {
      method: "DELETE", token: true,
    });
    if (result.sessionOver) return;
    Permis.busy(button, false);
    await Promise.all([loadSlots(), loadBookings()]);
    Permis.showMessage(byId("etat-mes-rendez-vous"), result.data.message, result.ok ? "succes" : "echec");
    byId("titre-mes-rendez-vous").focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("reserver");
    if (button.disabled) return;
    Permis.clearErrors(form);
    Permis.showMessage(byId("etat-reservation"), "");
    const problems = Permis.checkRequired(form);
    if (problems.length) {
      Permis.showErrors(form, Permis.formErrors(problems));
      return;
    }
    Permis.busy(button, true, "Réservation…");
    const result = await Permis.callApi("/appointments/bookings", {
      method: "POST", token: true,
      body: { slot_id: byId("reservation-slot_id").value, request_id: byId("reservation-request_id").value,
        reason: byId("reservation-reason").value.trim() },
    });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      if (result.data.details && result.data.details.length) Permis.showErrors(form, result.data);
      else Permis.showMessage(byId("etat-reservation"), result.data.message, "echec");
      if (result.data.code === "slot_full") loadSlots();
      return;
    }
    form.reset();
    Permis.showMessage(byId("etat-reservation"), result.data.message, "succes");
    await Promise.all([loadSlots(), loadBookings()]);
  });

  load();
})();
