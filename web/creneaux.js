"use strict";
// The agents' side of the appointments (issue 9). DDT instructors and prefecture administrators
// see the day's appointments of their département with the requests (GET /staff/appointments);
// administrators also publish slots (POST /staff/appointments/slots) and list or withdraw them
// (GET, DELETE /staff/appointments/slots: a slot with bookings is kept, the API says why).

(function creneaux() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const AGENTS = ["instructeur-ddt", "prefecture"];

  function hours(slot) {
    return slot.start_time.replace(":", "h") + "–" + slot.end_time.replace(":", "h");
  }

  function table(caption, headers, rows) {
    return el("div", { className: "fr-table fr-table--no-caption" }, el("div", { className: "fr-table__wrapper" },
      // Focusable: a table wider than a phone scrolls, and the keyboard must reach it.
      el("div", { className: "fr-table__container", tabindex: "0", role: "region", "aria-label": caption },
        el("div", { className: "fr-table__content" },
        el("table", {}, el("caption", { text: caption }),
          el("thead", {}, el("tr", {}, headers.map((text) => el("th", { scope: "col", text })))),
          el("tbody", {}, rows))))));
  }

  const today = () => Permis.parisDay(0); // AAAA-MM-JJ, Paris time

  async function load() {
    const me = await Permis.profileFor(AGENTS, "Cette page est réservée aux agents des DDT et des préfectures.");
    if (!me) return;
    byId("bloc-jour").hidden = false;
    byId("jour-date").value = today();
    const admin = me.role === "prefecture";
    byId("bloc-publication").hidden = !admin;
    byId("bloc-publies").hidden = !admin;
    await Promise.all([loadDay(), admin ? loadPublished() : null]);
  }

  async function loadDay() {
    const day = byId("jour-date").value;
    const result = await Permis.callApi("/staff/appointments?date=" + encodeURIComponent(day), { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-jour"), result.data.message, "echec");
      byId("contenu-jour").replaceChildren();
      return;
    }
    const slots = result.data.slots;
    const label = Permis.formatDate(result.data.date);
    Permis.showMessage(byId("etat-jour"), slots.length
      ? slots.length + (slots.length > 1 ? " créneaux le " : " créneau le ") + label + " (département " + result.data.departement + ")."
      : "Aucun créneau le " + label + ".", "info");
    byId("contenu-jour").replaceChildren(...slots.map((slot) => el("div", { className: "creneau-du-jour fr-mt-3w" },
      el("h3", { className: "fr-h6", text: hours(slot) + " – " + slot.place }),
      el("p", { className: "fr-mb-1w", text: slot.booked + " réservation(s) sur " + slot.capacity + " place(s)." }),
      slot.appointments.length ? table("Rendez-vous de " + hours(slot),
        ["Auto-école", "Demande", "Candidat", "Statut", "Motif"],
        slot.appointments.map((a) => el("tr", {},
          el("th", { scope: "row", text: a.school_name }),
          el("td", {}, el("span", { className: "numero-demande", text: "N° " + a.request_id }),
            el("span", { className: "fr-hint-text", text: a.procedure_label || "" })),
          el("td", { text: a.candidate_name || "À préciser" }),
          el("td", {}, el("span", { className: "fr-badge fr-badge--sm fr-badge--info", text: a.status_label || "Inconnue" })),
          el("td", { className: "motif", text: a.reason })))) : el("p", { text: "Aucune réservation." }))));
  }

  byId("formulaire-jour").addEventListener("submit", (event) => {
    event.preventDefault();
    Permis.clearErrors(byId("formulaire-jour"));
    const problems = Permis.checkRequired(byId("formulaire-jour"));
    if (problems.length) {
      Permis.showErrors(byId("formulaire-jour"), Permis.formErrors(problems));
      return;
    }
    loadDay();
  });

  async function loadPublished() {
    const result = await Permis.callApi("/staff/appointments/slots", { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-publies"), result.data.message, "echec");
      return;
    }
    const slots = result.data.slots;
    byId("contenu-publies").replaceChildren(slots.length ? el("table", {}, el("caption", { text: "Créneaux publiés" }),
      el("thead", {}, el("tr", {}, ["Jour", "Heures", "Lieu", "Réservations", "Action"].map((text) => el("th", { scope: "col", text })))),
      el("tbody", {}, slots.map((slot) => el("tr", {},
        el("th", { scope: "row", text: slot.day_label }),
        el("td", { text: hours(slot) }),
        el("td", { text: slot.place }),
        el("td", { text: slot.booked + " / " + slot.capacity }),
        el("td", {}, el("button", {
          type: "button", className: "fr-btn fr-btn--tertiary fr-btn--sm fr-btn--icon-left fr-icon-delete-line",
          text: "Retirer", "aria-label": "Retirer le créneau du " + slot.day_label + " à " + slot.start_time,
          onclick: (event) => withdraw(slot, event.currentTarget),
        })))))) : "");
    if (!slots.length) Permis.showMessage(byId("etat-publies"), "Aucun créneau publié pour les 8 semaines à venir.", "info");
  }

  async function withdraw(slot, button) {
    Permis.busy(button, true, "Retrait…");
    const result = await Permis.callApi("/staff/appointments/slots/" + encodeURIComponent(slot.slot_id), {
      method: "DELETE", token: true,
    });
    if (result.sessionOver) return;
    Permis.busy(button, false);
    if (result.ok) await loadPublished();
    Permis.showMessage(byId("etat-publies"), result.data.message, result.ok ? "succes" : "echec");
    byId("titre-publies").focus();
  }

  const publishForm = byId("formulaire-publication");
  publishForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("publier");
    if (button.disabled) return;
    Permis.clearErrors(publishForm);
    Permis.showMessage(byId("etat-publication"), "");
    const problems = Permis.checkRequired(publishForm);
    if (problems.length) {
      Permis.showErrors(publishForm, Permis.formErrors(problems));
      return;
    }
    const value = (id) => byId("creneau-" + id).value.trim();
    const number = (id) => (/^\d+$/.test(value(id)) ? Number(value(id)) : value(id));
    Permis.busy(button, true, "Publication…");
    const result = await Permis.callApi("/staff/appointments/slots", {
      method: "POST", token: true,
      body: { date: value("date"), start_time: value("start_time"), duration_minutes: number("duration_minutes"),
        place: value("place"), capacity: number("capacity") },
    });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showErrors(publishForm, result.data, { prefix: "creneau-" });
      return;
    }
    Permis.showMessage(byId("etat-publication"), "Créneau publié : " + result.data.day_label + ", "
      + hours(result.data) + ", " + result.data.place + ".", "succes");
    await Promise.all([loadPublished(), byId("jour-date").value === result.data.date ? loadDay() : null]);
  });

  load();
})();
