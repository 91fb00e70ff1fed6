"use strict";
// The examiner's page, made for a tablet (768 px and touch): the centre and the day (remembered on
// the tablet), a NEPH looked up (GET /staff/exams/{neph}: the candidate's registrations and
// results), the result recorded (POST /staff/exams/results, with the rules `permis-agent resultat`
// has: a practical needs a theory success, an AAC candidate's practical the AAC answer, once per
// test and day), and the centre's day sheet (GET /staff/exams/day).

(function examinersPage() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const CENTRE_KEY = "permis.examen.centre";
  const EXAMINER_KEY = "permis.examen.examinateur";
  let candidate = null; // GET /staff/exams/{neph}

  const today = () => Permis.parisDay(0); // AAAA-MM-JJ, Paris time

  const { refused, signedIn } = Permis.staffAccess(["bloc-examens"], "Accès réservé aux examinateurs");

  // --- The day sheet ------------------------------------------------------------------------

  async function loadSheet() {
    const centre = byId("centre").value.trim();
    if (!centre) return;
    const params = new URLSearchParams({ centre });
    if (byId("jour").value) params.set("date", byId("jour").value);
    const result = await Permis.callApi("/staff/exams/day?" + params.toString(), { token: true });
    if (refused(result)) return;
    const form = byId("formulaire-centre");
    if (!result.ok) {
      Permis.showErrors(form, result.data);
      return;
    }
    Permis.clearErrors(form);
    const sheet = result.data;
    drawConvened(sheet);
    byId("titre-feuille").textContent = "La feuille du " + Permis.formatDate(sheet.day) + " – " + sheet.centre;
    Permis.showMessage(byId("etat-feuille"), sheet.rows.length
      ? sheet.rows.length + " résultat" + (sheet.rows.length > 1 ? "s" : "") + " enregistré" + (sheet.rows.length > 1 ? "s" : "") + "."
      : "Aucun résultat enregistré pour le moment.");
    byId("tableau-feuille").replaceChildren(sheet.rows.length ? el("div", { className: "fr-table fr-table--sm" },
      el("div", { className: "fr-table__wrapper" },
        el("div", { className: "fr-table__container", tabindex: "0", role: "region", "aria-label": "La feuille du jour" },
          el("div", { className: "fr-table__content" },
            el("table", {},
              el("caption", { className: "fr-sr-only", text: byId("titre-feuille").textContent }),
              el("thead", {}, el("tr", {}, ["Heure", "NEPH", "Candidat", "Épreuve", "Catégorie", "Résultat"]
                .map((text) => el("th", { scope: "col", text })))),
              el("tbody", {}, sheet.rows.map((row) => el("tr", {},
                el("td", { text: new Date(row.result.recorded_at).toLocaleTimeString("fr-FR",
                  { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris" }) }),
                el("td", { text: row.neph }), el("td", { text: row.candidate_name }),
                el("td", { text: row.result.test_label }), el("td", { text: row.result.category }),
                el("td", { text: row.result.outcome_label }))))))))) : "");
  }

  /** The candidates the schools convened to this centre that day, by time: a row opens the
   *  candidate's record and the result form set on that test and category. */
  function drawConvened(sheet) {
    byId("bloc-convoques").hidden = false;
    const left = sheet.convened.filter((row) => !row.recorded).length;
    Permis.showMessage(byId("etat-convoques"), sheet.convened.length
      ? sheet.convened.length + " convoqué" + (sheet.convened.length > 1 ? "s" : "") + ", " + left + " résultat"
        + (left > 1 ? "s" : "") + " à saisir."
      : "Aucun candidat convoqué à ce centre ce jour-là : cherchez le candidat par son NEPH.");
    const rows = sheet.convened.map((row) => el("tr", {},
      el("td", { text: row.time.replace(":", " h ") }), el("td", { text: row.candidate_name }),
      el("td", { text: row.neph }), el("td", { text: row.test_label + " " + row.category }),
      el("td", { text: row.school_name }),
      el("td", {}, row.recorded
        ? el("span", { className: "fr-badge fr-badge--success fr-badge--sm", text: "Saisi" })
        : el("button", { type: "button", className: "fr-btn fr-btn--sm", text: "Saisir le résultat de "
          + row.candidate_name, onclick: () => openConvened(row) }))));
    const table = el("table", {},
      el("caption", { className: "fr-sr-only", text: "Les candidats convoqués le " + Permis.formatDate(sheet.day) }),
      el("thead", {}, el("tr", {}, ["Heure", "Candidat", "NEPH", "Épreuve", "Auto-école", "Résultat"]
        .map((text) => el("th", { scope: "col", text })))),
      el("tbody", {}, rows));
    byId("tableau-convoques").replaceChildren(sheet.convened.length ? el("div", { className: "fr-table fr-table--sm" },
      el("div", { className: "fr-table__wrapper" },
        el("div", { className: "fr-table__container", tabindex: "0", role: "region",
          "aria-label": "Les candidats convoqués" }, el("div", { className: "fr-table__content" }, table)))) : "");
  }

  async function openConvened(row) {
    byId("neph").value = row.neph;
    if (!await lookUp()) return;
    byId("test-" + row.test).checked = true;
    byId("categorie").value = row.category;
    drawAac();
    byId("titre-resultat").focus();
  }

  byId("formulaire-centre").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = byId("formulaire-centre");
    Permis.clearErrors(form);
    const problems = Permis.checkRequired(form);
    if (problems.length) {
      Permis.showErrors(form, Permis.formErrors(problems));
      return;
    }
    localStorage.setItem(CENTRE_KEY, byId("centre").value.trim());
    const button = byId("afficher-feuille");
    Permis.busy(button, true, "Chargement…");
    await loadSheet();
    Permis.busy(button, false);
  });

  // --- The candidate ------------------------------------------------------------------------

  function drawCandidate() {
    const registrations = candidate.registrations;
    byId("nom-candidat").textContent = registrations[0].candidate_name + " – NEPH " + candidate.neph;
    byId("inscriptions").textContent = "Inscrit pour : " + registrations.map((r) => r.categories.join(", ")
      + (r.aac ? " (apprentissage anticipé)" : "")).join(" ; ") + ".";
    const results = registrations.flatMap((r) => r.results);
    byId("resultats-candidat").replaceChildren(results.length
      ? el("ul", { className: "fr-text--sm" }, results.map((r) => el("li", {
        text: Permis.formatDate(r.day) + " – " + r.test_label + " " + r.category + " : " + r.outcome_label + " (" + r.centre + ")" })))
      : el("p", { className: "fr-text--sm", text: "Aucun résultat enregistré pour ce candidat." }));
    const categories = [...new Set(registrations.flatMap((r) => r.categories))];
    byId("categorie").replaceChildren(...categories.map((code) => el("option", { value: code, text: code })));
    byId("fiche-examens").hidden = false;
    byId("bloc-resultat").hidden = false;
    drawAac();
  }

  function registrationOf(category) {
    return candidate.registrations.find((r) => r.categories.includes(category)) || null;
  }

  /** The AAC question, only for the practical of a registration in AAC. */
  function drawAac() {
    const practical = byId("test-pratique").checked;
    const registration = candidate && registrationOf(byId("categorie").value);
    byId("champ-aac").hidden = !(practical && registration && registration.aac);
  }

  byId("formulaire-resultat").querySelectorAll('input[name="test"]').forEach((radio) => radio.addEventListener("change", drawAac));
  byId("categorie").addEventListener("change", drawAac);

  byId("formulaire-neph").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await lookUp()) byId("nom-candidat").focus();
  });

  /** The NEPH typed (or a convened candidate's) looked up: true when the candidate is shown. */
  async function lookUp() {
    const form = byId("formulaire-neph");
    const neph = Permis.twelveDigits(form, byId("neph"), "erreur-neph",
      "Un NEPH fait 12 chiffres, par exemple 170392100012.");
    if (!neph) return false;
    const button = byId("chercher-neph");
    Permis.busy(button, true, "Recherche…");
    const result = await Permis.callApi("/staff/exams/" + encodeURIComponent(neph), { token: true });
    Permis.busy(button, false);
    if (refused(result)) return false;
    if (!result.ok) {
      byId("fiche-examens").hidden = true;
      byId("bloc-resultat").hidden = true;
      Permis.showErrors(form, result.data, { codeFields: { neph_unknown: "neph" } });
      return false;
    }
    candidate = result.data;
    byId("formulaire-resultat").reset();
    Permis.clearErrors(byId("formulaire-resultat"));
    byId("examinateur").value = localStorage.getItem(EXAMINER_KEY) || byId("examinateur").dataset.parDefaut || "";
    drawCandidate();
    return true;
  }

  // --- Recording ----------------------------------------------------------------------------

  function chosen(name) {
    const checked = document.querySelector('#formulaire-resultat input[name="' + name + '"]:checked');
    return checked ? checked.value : null;
  }

  byId("formulaire-resultat").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = byId("formulaire-resultat");
    const centreForm = byId("formulaire-centre");
    Permis.clearErrors(form);
    const problems = Permis.checkRequired(form);
    if (!byId("centre").value.trim()) {
      Permis.showErrors(centreForm, Permis.formErrors([{ errorId: "erreur-centre", message: "Indiquez d'abord le centre d'examen." }]));
      return;
    }
    if (problems.length) {
      Permis.showErrors(form, Permis.formErrors(problems));
      return;
    }
    const body = {
      neph: candidate.neph, day: byId("jour").value || today(), centre: byId("centre").value.trim(),
      examiner: byId("examinateur").value.trim(), test: chosen("test"), category: byId("categorie").value,
      outcome: chosen("outcome"),
    };
    if (!byId("champ-aac").hidden) body.still_follows_aac = chosen("still_follows_aac") === "oui";
    const button = byId("enregistrer-resultat");
    Permis.busy(button, true, "Enregistrement…");
    const result = await Permis.callApi("/staff/exams/results", { method: "POST", body, token: true });
    Permis.busy(button, false);
    if (refused(result)) return;
    if (!result.ok) {
      Permis.showErrors(form, result.data, { codeFields: { category_not_registered: "category" } });
      return;
    }
    localStorage.setItem(EXAMINER_KEY, body.examiner);
    localStorage.setItem(CENTRE_KEY, body.centre);
    Permis.showMessage(byId("avis"), result.data.message, "succes");
    form.reset();
    byId("examinateur").value = body.examiner;
    byId("bloc-resultat").hidden = true;
    byId("fiche-examens").hidden = true;
    byId("formulaire-neph").reset();
    candidate = null;
    await loadSheet();
    byId("neph").focus(); // the next candidate
  });

  // --- Start ---------------------------------------------------------------------------------

  (async function start() {
    const me = await signedIn(["inspecteur"], "Cette page est réservée aux examinateurs", (role) => "Les résultats "
      + "d'examen sont saisis par les inspecteurs du permis de conduire. Votre compte (" + role + ") n'y a pas accès.");
    if (!me) return;
    byId("examinateur").dataset.parDefaut = [me.first_names, me.birth_name].filter(Boolean).join(" ");
    byId("centre").value = localStorage.getItem(CENTRE_KEY) || "";
    byId("jour").value = today();
    byId("chargement").hidden = true;
    byId("bloc-examens").hidden = false;
    if (byId("centre").value) await loadSheet();
    (byId("centre").value ? byId("neph") : byId("centre")).focus();
  })();
})();
