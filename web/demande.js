"use strict";
// One request, demande.html#id=<number>[&etape=<1..7>]. While it is a draft its filer fills it in
// seven steps, one form each (PUT /requests/{id}/steps/{step}), sends the documents (presigned POST
// to the storage, then the checker's verdict is polled), then submits it (POST …/submission with an
// Idempotency-Key). Afterwards, or for the candidate of a school's request, the page shows it read
// only: status and what it means, documents (refused ones can be replaced when allowed), history,
// receipt, and the school's actions (back to draft, send the validation again).

(function demande() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const STEPS = Demandes.STEPS;
  const SAVED_STEPS = ["civil_status", "contact", "categories", "declarations"]; // the forms of steps 2 to 5
  const POLL_EVERY_MS = 2000;
  const POLL_MAX = 90; // 3 minutes of checking: beyond, something is stuck

  const requestId = Permis.fragment().get("id") || "";
  let request = null; // the RequestView
  let summary = null; // the last GET …/summary answer
  let editing = false;

  const notice = Permis.takeNotice();
  if (notice) Permis.showMessage(byId("avis"), notice, "succes");

  const path = (suffix) => "/requests/" + encodeURIComponent(requestId) + (suffix || "");
  const stepLink = (number) => "#id=" + encodeURIComponent(requestId) + "&etape=" + number;

  // What the caller may do now (edit, upload, submit, validate, back_to_draft, resend_validation,
  // send_complement).
  const can = (action) => (request.actions || []).includes(action);

  // --- Conflicts: someone else changed the request ------------------------------------------------

  const CONFLICTS = ["changed_meanwhile", "illegal_transition", "documents_locked", "request_not_draft"];

  /** Shows a 409 that only a reload solves; true when `result` was one. */
  function conflict(result) {
    if (result.status !== 409 || !CONFLICTS.includes(result.data.code)) return false;
    byId("message-conflit").textContent = result.data.message
      + (result.data.code === "changed_meanwhile" ? "" : " Rechargez la demande pour voir son état actuel.");
    const block = byId("bloc-conflit");
    block.hidden = false;
    block.focus();
    return true;
  }
  byId("recharger").addEventListener("click", () => window.location.reload());

  // --- Header ---------------------------------------------------------------------------------

  const mandateLabel = () => request.mandate_label || Demandes.MANDATE_LABELS[request.mandate] || request.mandate;

  function showHeader() {
    document.title = "Demande n° " + request.request_id + " – Permis en ligne";
    byId("titre").textContent = "Demande n° " + request.request_id;
    byId("entete").replaceChildren(...Array.from(Demandes.definitions([
      ["Démarche", request.procedure_label],
      ["Mandat", mandateLabel()],
      ["Candidat", request.candidate_name || "Pas encore renseigné"],
      ["Auto-école", request.school_name],
      ["Médiateur numérique", request.structure_name],
      ["Consentement", request.consent],
      // Read only, the status and what comes next are the page's first section, just below.
      ["Statut", editing ? Demandes.statusBadge(request.status, request.status_label) : null],
      ["Créée le", Permis.formatDate(request.created_at, true)],
      ["Dernière modification", Permis.formatDate(request.updated_at, true)],
      ["Déposée le", Permis.formatDate(request.submitted_at, true)],
    ]).childNodes));
    byId("indication-statut").textContent = request.status_hint || "";
    byId("ariane-demande").textContent = "Demande n° " + request.request_id;
    byId("bloc-suppression").hidden = !can("delete");
    byId("bloc-entete").hidden = false;
  }

  // --- Deleting a draft (with its documents) -------------------------------------------------------

  const deleteButton = byId("supprimer");
  function askDeletion(open) {
    byId("confirmation-suppression").hidden = !open;
    deleteButton.setAttribute("aria-expanded", String(open));
    if (open) {
      byId("texte-suppression").textContent = "Le brouillon n° " + requestId + " et toutes ses pièces justificatives "
        + "seront effacés. Cette action ne peut pas être annulée.";
      byId("titre-suppression").focus();
    }
  }
  deleteButton.addEventListener("click", () => askDeletion(byId("confirmation-suppression").hidden));
  byId("annuler-suppression").addEventListener("click", () => {
    askDeletion(false);
    deleteButton.focus();
  });
  byId("confirmer-suppression").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    if (button.disabled) return;
    await autosave.flush();
    Permis.busy(button, true, "Suppression…");
    const result = await Permis.callApi(path("?version=" + encodeURIComponent(request.version)),
      { method: "DELETE", token: true });
    if (result.sessionOver) return;
    Permis.busy(button, false);
    if (!result.ok) {
      if (!conflict(result)) Permis.showMessage(byId("etat-suppression"), result.data.message, "echec");
      return;
    }
    autosave.forget();
    Permis.setNotice(result.data.message);
    window.location.assign("demandes.html");
  });

  /** "Brouillon enregistré le …": each step is saved as it is sent, nothing is lost on leaving. */
  function showDraftSaved(justNow) {
    const target = byId("brouillon-enregistre");
    if (request.status !== "brouillon" || !request.updated_at) {
      target.textContent = "";
      return;
    }
    target.textContent = (justNow ? "Brouillon enregistré le " : "Brouillon enregistré pour la dernière fois le ")
      + Permis.formatDate(request.updated_at, true) + ". Vous pouvez quitter la page et reprendre plus tard.";
  }

  // --- The progress indicator ---------------------------------------------------------------------

  function missingFor(prefix) {
    return ((summary && summary.missing) || []).filter((item) => item.field === prefix
      || String(item.field || "").startsWith(prefix + "."));
  }

  /** [state class, French words] of a step, for the progress indicator. */
  function stepState(step) {
    const steps = request.steps || {};
    if (step.key === "procedure") return ["fait", "Enregistrée"];
    if (typedDrafts[step.key]) return ["a-revoir", "Saisie à enregistrer"];
    if (SAVED_STEPS.includes(step.key)) {
      if (!steps[step.key]) return ["a-faire", "À remplir"];
      return missingFor(step.key).length ? ["a-revoir", "À revoir"] : ["fait", "Enregistrée"];
    }
    if (!summary) return ["a-faire", ""];
    if (step.key === "documents") {
      if (!(summary.required_documents || []).length) return ["a-faire", "Après les étapes 2 et 4"];
      return missingFor("documents").length ? ["a-faire", "À compléter"] : ["fait", "Complètes"];
    }
    return summary.complete ? ["fait", "Prête à déposer"] : ["a-faire", "Pas encore prête"];
  }

  let currentStep = 1;
  // The step the notice on top of the page is about ("Étape 5 enregistrée", or the previous page's
  // notice for the first step shown): it goes as soon as another step is shown.
  let noticeStep = notice ? 0 : null;

  const STATE_BADGES = { fait: "succes", "a-revoir": "attente", "a-faire": "neutre" };

  function showProgress() {
    byId("etapes").replaceChildren(...STEPS.map((step) => {
      const [kind, words] = stepState(step);
      const here = step.number === currentStep;
      const link = el("a", { className: "fr-sidemenu__link", href: stepLink(step.number),
        "aria-current": here ? "step" : null },
        el("span", { className: "etape-titre" }, step.number + ". " + step.title),
        words ? el("span", { className: "fr-sr-only", text: " : " }) : null,
        words ? el("span", { className: "etat-etape etat-" + (STATE_BADGES[kind] || "neutre"), text: words }) : null);
      return el("li", { className: "fr-sidemenu__item" + (here ? " fr-sidemenu__item--active" : "") }, link);
    }));
    byId("bloc-saisie").hidden = false;
  }

  function showStep(number, moveFocus) {
    if (noticeStep === 0) noticeStep = number;
    if (noticeStep !== null && noticeStep !== number) {
      Permis.showMessage(byId("avis"), "");
      noticeStep = null;
    }
    currentStep = number;
    document.querySelectorAll("section.etape").forEach((section) => { section.hidden = true; });
    byId("etape-" + number).hidden = false;
    showProgress();
    if (number === 6) showDocumentsStep();
    if (number === 7) showSummaryStep();
    if (moveFocus) byId("titre-etape-" + number).focus();
  }

  function stepFromHash() {
    const number = Number(Permis.fragment().get("etape"));
    return Number.isInteger(number) && number >= 1 && number <= 7 ? number : null;
  }

  /** The first step still to fill (2 to 5), else the documents. */
  function firstUnfinishedStep() {
    const steps = request.steps || {};
    const step = STEPS.find((item) => SAVED_STEPS.includes(item.key) && !steps[item.key]);
    return step ? step.number : 6;
  }

  window.addEventListener("hashchange", () => {
    if ((Permis.fragment().get("id") || "") !== requestId) {
      window.location.reload(); // another request: start over
      return;
    }
    if (!editing) return;
    const wanted = stepFromHash() || 1;
    // The step already shown (its link followed again): it stays as it is, with what is typed in it.
    if (wanted === currentStep && !byId("etape-" + wanted).hidden) {
      byId("titre-etape-" + wanted).focus();
      return;
    }
    showStep(wanted, true);
  });

  async function loadSummary() {
    const result = await Permis.callApi(path("/summary"), { token: true });
    if (result.sessionOver || !result.ok) return null;
    summary = result.data;
    if (summary.request) request = summary.request;
    if (editing) showProgress();
    return summary;
  }

  // --- Autosave: what is typed in a step is kept as the person goes ---------------------------------
  // After a pause, the step's form as it is (incomplete, unchecked) goes to PUT …/steps/{step}/draft;
  // saving the step itself replaces it. The page warns before it is left with typing not yet kept, and
  // sends what is pending as it goes (keepalive). The text says when the draft was last kept, changing
  // at most once a minute (a live region read out on every pause would drown the person's typing).

  const AUTOSAVE_PAUSE_MS = 1500;
  const autosave = (() => {
    const readers = {}; // step key -> () => the step's fields as typed
    const dirty = new Set();
    let timer = null;
    let sending = Promise.resolve();
    let shownMinute = "";

    function show(savedAt) {
      const minute = new Date(savedAt).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit",
        timeZone: "Europe/Paris" });
      if (minute === shownMinute) return;
      shownMinute = minute;
      Permis.showMessage(byId("brouillon-enregistre"), "Brouillon enregistré à " + minute
        + " : vous pouvez quitter la page et reprendre plus tard.");
    }

    async function sendDirty(keepalive) {
      for (const key of Array.from(dirty)) {
        dirty.delete(key);
        const result = await Permis.callApi(path("/steps/" + key + "/draft"), { method: "PUT", token: true,
          body: readers[key](), keepalive });
        if (result.sessionOver) return;
        if (result.ok) show(result.data.saved_at);
        else if (result.status !== 409) { // 409: not a draft any more, nothing to keep
          dirty.add(key);
          shownMinute = "";
          Permis.showMessage(byId("brouillon-enregistre"), "Votre saisie n'a pas pu être enregistrée ("
            + result.data.message + ") : elle le sera à votre prochaine modification. Ne quittez pas la page.",
            "attention");
        }
      }
    }

    /** Sends what is pending now (and waits for a sending under way). */
    function flush(keepalive) {
      clearTimeout(timer);
      timer = null;
      sending = sending.then(() => (dirty.size ? sendDirty(keepalive) : null));
      return sending;
    }

    function register(key, form, read) {
      readers[key] = read;
      const changed = () => {
        if (!editing) return;
        dirty.add(key);
        clearTimeout(timer);
        timer = setTimeout(flush, AUTOSAVE_PAUSE_MS);
      };
      form.addEventListener("input", changed);
      form.addEventListener("change", changed);
    }

    /** The step is about to be saved for good: no draft of it is sent any more (one under way ends first). */
    function settle(key) {
      dirty.delete(key);
      return sending;
    }

    function forget() {
      dirty.clear();
      clearTimeout(timer);
    }

    window.addEventListener("beforeunload", (event) => {
      if (!dirty.size) return;
      flush(true);
      event.preventDefault();
      event.returnValue = ""; // the browser's own "Quitter la page ?" question
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") flush(true);
    });
    return { register, flush, settle, forget, saved: (key) => dirty.delete(key), pending: () => dirty.size > 0 };
  })();

  /** A date of birth as typed: "YYYY-MM-DD" once complete, else its parts (kept as typed by the autosave). */
  function dateAsTyped(id) {
    const field = byId(id);
    const { jour, mois, annee } = field.parts;
    return field.value || (jour || mois || annee ? field.parts : "");
  }

  /** Puts back a date of birth saved as "YYYY-MM-DD" or, by the autosave, as its parts. */
  function setDate(id, saved) {
    if (saved && typeof saved === "object") byId(id).parts = saved;
    else byId(id).value = saved || "";
  }

  // --- Saving a step -------------------------------------------------------------------------------

  async function saveStep(key, form, button, body) {
    Permis.busy(button, true, "Enregistrement…");
    await autosave.settle(key);
    const result = await Permis.callApi(path("/steps/" + key), { method: "PUT", body, token: true });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      if (!conflict(result)) Permis.showErrors(form, result.data, { prefix: key + "-" });
      return;
    }
    request = result.data;
    showHeader();
    showDraftSaved(true);
    const step = STEPS.find((item) => item.key === key);
    autosave.saved(key);
    delete typedDrafts[key];
    noticeStep = step.number + 1;
    Permis.showMessage(byId("avis"), "Étape " + step.number + " « " + step.title + " » enregistrée. Brouillon enregistré le "
      + Permis.formatDate(request.updated_at, true) + ".", "succes");
    window.location.hash = stepLink(step.number + 1).slice(1); // hashchange shows the next step
    loadSummary();
  }

  /** read(): the step's body to save; readTyped(): the same as typed, for the autosave (by default read). */
  function bindStepForm(key, read, ownChecks, readTyped) {
    const form = byId("formulaire-" + key);
    const button = byId("enregistrer-" + key);
    autosave.register(key, form, readTyped || read);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (button.disabled) return;
      Permis.clearErrors(form);
      Permis.showMessage(byId("avis"), "");
      const problems = Permis.checkRequired(form).concat(ownChecks ? ownChecks() : []);
      if (problems.length) {
        Permis.showErrors(form, Permis.formErrors(problems));
        return;
      }
      saveStep(key, form, button, read());
    });
  }

  const checkedValue = (name) => {
    const input = document.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  };
  const checkedValues = (name) => Array.from(document.querySelectorAll('input[name="' + name + '"]:checked'))
    .map((input) => input.value);
  const value = (id) => byId(id).value.trim();
  function check(name, wanted) {
    document.querySelectorAll('input[name="' + name + '"]').forEach((input) => {
      input.checked = Array.isArray(wanted) ? wanted.includes(input.value) : input.value === wanted;
    });
  }

  /** Radios or checkboxes built from [value, label] pairs, all described by the field's error. */
  function choices(container, type, name, pairs, errorId, requiredMessage, inline) {
    const group = type === "radio" ? "fr-radio-group" : "fr-checkbox-group";
    container.replaceChildren(...pairs.map(([code, label]) => {
      const id = name + "-" + code;
      return el("div", { className: "fr-fieldset__element" + (inline ? " fr-fieldset__element--inline" : "") },
        el("div", { className: group },
          el("input", { type, id, name, value: code, required: Boolean(requiredMessage), "aria-describedby": errorId,
            "data-requis": requiredMessage || null }),
          el("label", { className: "fr-label", for: id, text: label })));
    }));
  }
  const YES_NO = [["oui", "Oui"], ["non", "Non"]];
  const fromYesNo = (word) => (word === "oui" ? true : word === "non" ? false : null);
  const toYesNo = (bool) => (bool === true ? "oui" : bool === false ? "non" : "");

  // --- Step 2: état civil ----------------------------------------------------------------------------

  const readBirthPlace = Permis.bindBirthPlace("civil_status-");
  const readRepresentativeAddress = Permis.bindAddress("civil_status-legal_representative-");

  // The legal representative: needed for a minor (under 18 today); kept visible once saved, so that
  // it can be emptied when the birth date is corrected.
  const AGE_OF_MAJORITY = 18;
  let representativeSaved = false;

  function ageToday(isoDate) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate || "");
    if (!match) return null;
    const now = new Date();
    let age = now.getFullYear() - Number(match[1]);
    const month = now.getMonth() + 1;
    if (month < Number(match[2]) || (month === Number(match[2]) && now.getDate() < Number(match[3]))) age--;
    return age;
  }
  const representativeControls = () => Array.from(document.querySelectorAll("[data-representant]"));

  function representativeFilled() {
    return representativeControls().some((control) => (control.type === "radio" ? control.checked
      : control.tagName === "SELECT" ? false : control.value.trim() !== ""));
  }

  function isMinor() {
    const age = ageToday(byId("civil_status-birth_date").value);
    return age !== null && age >= 0 && age < AGE_OF_MAJORITY; // a date in the future is an error, said apart
  }

  function showRepresentative() {
    const age = ageToday(byId("civil_status-birth_date").value);
    const minor = isMinor();
    const block = byId("bloc-representant");
    block.hidden = !(minor || representativeSaved || (!block.hidden && representativeFilled()));
    representativeControls().forEach((control) => { control.required = minor; });
    block.querySelectorAll(".representant-requis").forEach((mark) => { mark.hidden = !minor; });
    byId("info-representant").textContent = minor
      ? "Le candidat est mineur (" + age + " ans) : son représentant légal se déclare ici (état civil et adresse) "
        + "et joindra son justificatif d'identité aux pièces justificatives."
      : "Le candidat est majeur : le représentant légal n'est plus nécessaire. Videz ses champs pour le retirer "
        + "de la demande.";
  }
  byId("civil_status-birth_date").addEventListener("change", showRepresentative);
  byId("civil_status-birth_date").addEventListener("input", showRepresentative);

  async function fillCivilStatus(step) {
    byId("civil_status-birth_name").value = step.birth_name || "";
    byId("civil_status-usage_name").value = step.usage_name || "";
    byId("civil_status-first_names").value = step.first_names || "";
    check("civil_status-sex", step.sex || "");
    setDate("civil_status-birth_date", step.birth_date);
    readBirthPlace.fill(step.birth_place);
    const representative = step.legal_representative;
    if (representative) {
      representativeSaved = true;
      byId("civil_status-legal_representative-birth_name").value = representative.birth_name || "";
      byId("civil_status-legal_representative-first_names").value = representative.first_names || "";
      setDate("civil_status-legal_representative-birth_date", representative.birth_date);
      check("civil_status-legal_representative-quality", representative.quality || "");
    }
    showRepresentative();
    if (representative) await readRepresentativeAddress.fill(representative.address);
  }

  function readCivilStatus() {
    const body = {
      birth_name: value("civil_status-birth_name"),
      first_names: value("civil_status-first_names"),
      sex: checkedValue("civil_status-sex"),
      birth_date: byId("civil_status-birth_date").value,
      birth_place: readBirthPlace(),
    };
    if (value("civil_status-usage_name")) body.usage_name = value("civil_status-usage_name");
    // An adult's representative block left empty is not sent: no representative.
    if (!byId("bloc-representant").hidden && (isMinor() || representativeFilled())) {
      body.legal_representative = {
        birth_name: value("civil_status-legal_representative-birth_name"),
        first_names: value("civil_status-legal_representative-first_names"),
        birth_date: byId("civil_status-legal_representative-birth_date").value,
        quality: checkedValue("civil_status-legal_representative-quality"),
        address: readRepresentativeAddress(),
      };
    }
    return body;
  }

  bindStepForm("civil_status", readCivilStatus, () => readBirthPlace.checks(), () => {
    const typed = readCivilStatus();
    typed.birth_date = dateAsTyped("civil_status-birth_date");
    if (typed.legal_representative) {
      typed.legal_representative.birth_date = dateAsTyped("civil_status-legal_representative-birth_date");
    }
    return typed;
  });

  // --- Step 3: adresse et coordonnées ---------------------------------------------------------------

  const readContactAddress = Permis.bindAddress("contact-");

  async function fillContact(step) {
    byId("contact-email").value = step.email || "";
    byId("contact-mobile_phone").value = step.mobile_phone ? Demandes.phoneLine(step.mobile_phone) : "";
    await readContactAddress.fill(step.address);
  }

  bindStepForm("contact", () => ({
    address: readContactAddress(),
    email: value("contact-email"),
    mobile_phone: value("contact-mobile_phone"),
  }));

  // --- Step 4: catégories et formation ----------------------------------------------------------------

  choices(byId("choix-categories"), "checkbox", "categories-categories", Demandes.CATEGORIES,
    "erreur-categories-categories", null, true);
  choices(byId("choix-training_path"), "radio", "categories-training_path", Demandes.TRAINING_PATHS,
    "erreur-categories-training_path", "Choisissez la formation suivie.");
  choices(byId("choix-complementary_training"), "radio", "categories-complementary_training",
    Demandes.COMPLEMENTARY_TRAININGS, "erreur-categories-complementary_training");
  choices(byId("choix-has_licence"), "radio", "categories-has_licence", YES_NO, "erreur-categories-has_licence",
    "Indiquez si le candidat a déjà un permis de conduire.", true);
  choices(byId("choix-held_categories"), "checkbox", "categories-held_categories", Demandes.CATEGORIES,
    "erreur-categories-held_categories", null, true);
  choices(byId("choix-first_request"), "radio", "categories-first_request", YES_NO, "erreur-categories-first_request",
    "Indiquez s'il s'agit de la première demande de permis du candidat.", true);
  check("categories-complementary_training", "aucune");

  function showHeldCategories() {
    byId("bloc-held_categories").hidden = checkedValue("categories-has_licence") !== "oui";
  }
  document.querySelectorAll('input[name="categories-has_licence"]').forEach((input) => {
    input.addEventListener("change", showHeldCategories);
  });

  function fillCategories(step) {
    check("categories-categories", step.categories || []);
    check("categories-training_path", step.training_path || "");
    check("categories-complementary_training", step.complementary_training || "aucune");
    check("categories-has_licence", toYesNo(step.has_licence));
    check("categories-held_categories", step.held_categories || []);
    check("categories-first_request", toYesNo(step.first_request));
    showHeldCategories();
  }

  bindStepForm("categories", () => {
    const hasLicence = fromYesNo(checkedValue("categories-has_licence"));
    return {
      categories: checkedValues("categories-categories"),
      training_path: checkedValue("categories-training_path"),
      complementary_training: checkedValue("categories-complementary_training") || "aucune",
      has_licence: hasLicence,
      first_request: fromYesNo(checkedValue("categories-first_request")),
      held_categories: hasLicence ? checkedValues("categories-held_categories") : [],
    };
  }, () => {
    const count = checkedValues("categories-categories").length;
    if (count === 0) return [{ errorId: "erreur-categories-categories", message: "Choisissez au moins une catégorie." }];
    if (count > 3) {
      return [{ errorId: "erreur-categories-categories",
        message: "Choisissez 3 catégories au plus : une autre catégorie fera l'objet d'une nouvelle demande." }];
    }
    return [];
  });

  // --- Step 5: déclarations ---------------------------------------------------------------------------

  byId("choix-declarations").replaceChildren(...Object.entries(Demandes.DECLARATION_GROUPS).map(([group, title]) =>
    el("div", { className: "groupe-champs declarations" },
      el("h3", { className: "groupe-champs__titre fr-h6", text: title }),
      Demandes.DECLARATIONS.filter((item) => item.group === group).map((item) => {
        const name = "declarations-" + item.field;
        const errorId = "erreur-" + name;
        return el("fieldset", { className: "fr-fieldset declaration" },
          el("legend", { className: "fr-fieldset__legend fr-fieldset__legend--regular" }, item.text + " ",
            el("span", { className: "requis", "aria-hidden": "true", text: "*" })),
          [["oui", "OUI"], ["non", "NON"]].map(([code, label]) =>
            el("div", { className: "fr-fieldset__element fr-fieldset__element--inline" },
              el("div", { className: "fr-radio-group" },
                el("input", { type: "radio", id: name + "-" + code, name, value: code, required: true,
                  "aria-describedby": errorId, "data-requis": "Répondez OUI ou NON : « " + item.text + " »." }),
                el("label", { className: "fr-label", for: name + "-" + code, text: label })))),
          el("p", { id: errorId, className: "fr-error-text erreur-champ" }));
      }))));

  function fillDeclarations(step) {
    Demandes.DECLARATIONS.forEach((item) => check("declarations-" + item.field, toYesNo(step[item.field])));
  }

  bindStepForm("declarations", () => Object.fromEntries(Demandes.DECLARATIONS
    .map((item) => [item.field, fromYesNo(checkedValue("declarations-" + item.field))])));

  // --- Documents: the ePhoto code and the files --------------------------------------------------------

  const KB = 1024;
  const MB = 1024 * KB;
  const TYPE_NAMES = { "image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": "PDF" };
  const DEFAULT_TYPES = ["image/jpeg", "image/png", "application/pdf"];
  const sizeText = (bytes) => (bytes >= MB ? Math.floor(bytes / MB) + " Mo" : Math.floor(bytes / KB) + " Ko");
  const FINAL_STATES = ["accepted", "refused"];

  // document type -> {spec (the summary's entry, kept up to date), item (its <li>), replacing}
  const pieces = new Map();
  const watched = new Set(); // documents waiting for the checker's verdict
  let pollTimer = null;
  let polls = 0;

  /** The same checks and French messages as the server (rules.check_file), before sending. */
  function checkFile(spec, file) {
    const types = spec.content_types || DEFAULT_TYPES;
    if (!types.includes(Permis.contentTypeOf(file))) {
      const kinds = DEFAULT_TYPES.filter((type) => types.includes(type)).map((type) => TYPE_NAMES[type]).join(", ");
      return spec.label + " : format non accepté. Envoyez un fichier " + kinds + ".";
    }
    if (spec.min_bytes && file.size < spec.min_bytes) {
      return spec.label + " : le fichier est trop petit pour être lisible (moins de " + sizeText(spec.min_bytes)
        + "). Numérisez-le à nouveau.";
    }
    if (spec.max_bytes && file.size > spec.max_bytes) {
      return spec.label + " : le fichier dépasse " + sizeText(spec.max_bytes) + ". Réduisez sa résolution ou "
        + "envoyez-le en PDF.";
    }
    return null;
  }

  function watch(documentType) {
    watched.add(documentType);
    polls = 0;
    if (!pollTimer) pollTimer = setTimeout(poll, POLL_EVERY_MS);
  }

  async function poll() {
    pollTimer = null;
    const result = await Permis.callApi(path("/documents"), { token: true });
    if (result.sessionOver) return;
    polls++;
    watched.forEach((documentType) => { if (!pieces.has(documentType)) watched.delete(documentType); });
    if (result.ok) {
      for (const item of result.data.documents || []) {
        const piece = pieces.get(item.document);
        if (!piece || !watched.has(item.document)) continue;
        if (!FINAL_STATES.includes(item.state)) continue;
        piece.spec.state = item.state;
        piece.spec.state_label = item.state_label;
        piece.spec.refusal = item.state === "refused" ? item.reason : null;
        piece.spec.updated_at = item.updated_at || piece.spec.updated_at;
        watched.delete(item.document);
        piece.replacing = false;
        // A refusal is said once, with its reason, by the document itself (an alert).
        Permis.showMessage(piece.status, item.state === "accepted" ? piece.spec.label + " : pièce acceptée." : "",
          "succes");
        renderPiece(item.document, false, item.state === "refused");
      }
    }
    if (!watched.size) {
      if (editing) await loadSummary();
      else showComplementState();
      return;
    }
    if (polls >= POLL_MAX) {
      watched.forEach((documentType) => Permis.showMessage(pieces.get(documentType).status,
        "La vérification prend plus de temps que prévu : rechargez la page dans quelques minutes.", "info"));
      watched.clear();
      return;
    }
    pollTimer = setTimeout(poll, POLL_EVERY_MS);
  }

  async function upload(documentType) {
    const piece = pieces.get(documentType);
    const { spec, item } = piece;
    const form = item.querySelector("form");
    const input = form.querySelector('input[type="file"]');
    const button = form.querySelector('button[type="submit"]');
    const progress = progressOf(form);
    const hadFocus = form.contains(document.activeElement); // the busy button loses it
    Permis.clearErrors(form);
    Permis.showMessage(piece.status, "");
    const file = input.files && input.files[0];
    const errorId = "erreur-piece-" + documentType;
    const refuse = (message) => Permis.showErrors(form, Permis.formErrors([{ errorId, message }]));
    if (!file) {
      refuse("Choisissez le fichier à envoyer : " + spec.label + ".");
      return;
    }
    const problem = checkFile(spec, file);
    if (problem) {
      refuse(problem);
      return;
    }
    Permis.busy(button, true, "Préparation de l'envoi…");
    const prepared = await Permis.callApi(path("/documents/" + encodeURIComponent(documentType) + "/upload"), {
      method: "POST", token: true, body: { content_type: Permis.contentTypeOf(file), size: file.size },
    });
    if (prepared.sessionOver) return;
    if (!prepared.ok) {
      Permis.busy(button, false);
      if (conflict(prepared)) return;
      // content_type / size details belong to the file input.
      const details = (prepared.data.details || []).map((detail) => ({ errorId, message: detail.message }));
      Permis.showErrors(form, { ...prepared.data, details: details.length ? details : [{ errorId, message: prepared.data.message }] });
      return;
    }
    Permis.busy(button, true, "Envoi en cours…");
    progress.set(0);
    progress.block.hidden = false;
    Permis.showMessage(piece.status, "Envoi du fichier « " + file.name + " »…", "info");
    const sent = await Permis.postToStorage(prepared.data, file, progress.set);
    if (sent) progress.set(100);
    if (sent) piece.sentName = file.name;
    Permis.busy(button, false);
    if (!sent) {
      Permis.showMessage(piece.status, "");
      refuse("L'envoi du fichier n'a pas abouti (connexion interrompue ou délai dépassé) : réessayez.");
      return;
    }
    input.value = "";
    spec.state = "pending";
    spec.state_label = Demandes.DOCUMENT_STATE_LABELS.pending;
    spec.refusal = null;
    spec.updated_at = new Date().toISOString(); // sent again now (a complement's document is replaced)
    piece.replacing = false;
    renderPiece(documentType, hadFocus);
    Permis.showMessage(piece.status, "Fichier envoyé : vérification en cours, le résultat s'affiche ici dans quelques "
      + "secondes.", "info");
    watch(documentType);
  }

  async function saveEphoto(documentType) {
    const piece = pieces.get(documentType);
    const form = piece.item.querySelector("form");
    const button = form.querySelector('button[type="submit"]');
    const input = form.querySelector("input");
    const hadFocus = form.contains(document.activeElement); // the busy button loses it
    Permis.clearErrors(form);
    Permis.showMessage(piece.status, "");
    const code = input.value.replace(/\s+/g, "").toUpperCase();
    const errorId = "erreur-ephoto-code";
    let problem = null;
    if (!code) problem = "Saisissez le code ePhoto : 22 lettres ou chiffres, inscrits sur la planche photo.";
    else if (!/^[A-Z0-9]*$/.test(code)) {
      problem = "Le code ePhoto ne contient que des lettres et des chiffres (sans tiret ni ponctuation) : vérifiez-le.";
    } else if (code.length !== 22) {
      problem = "Le code ePhoto compte 22 caractères ; vous en avez saisi " + code.length
        + ". Recopiez-le tel qu'il figure sur la planche photo.";
    }
    if (problem) {
      Permis.showErrors(form, Permis.formErrors([{ errorId, message: problem }]));
      return;
    }
    Permis.busy(button, true, "Enregistrement…");
    const result = await Permis.callApi(path("/ephoto"), { method: "PUT", token: true, body: { code } });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      if (!conflict(result)) {
        Permis.showErrors(form, result.data, { prefix: "ephoto-",
          codeFields: { ephoto_invalid: "code", ephoto_used: "code" } });
      }
      return;
    }
    piece.spec.state = result.data.state;
    piece.spec.state_label = result.data.state_label;
    piece.spec.refusal = result.data.state === "refused" ? result.data.reason : null;
    piece.spec.updated_at = new Date().toISOString();
    piece.replacing = false;
    renderPiece(documentType, hadFocus);
    Permis.showMessage(piece.status, "Code ePhoto enregistré.", "succes");
    if (!FINAL_STATES.includes(result.data.state)) watch(documentType);
    else if (editing) loadSummary();
    else showComplementState();
  }

  /** The upload's progress bar (a <progress> with its percentage in words, for screen readers too). */
  function progressOf(form) {
    const block = form.querySelector(".envoi");
    const bar = block.querySelector("progress");
    const words = block.querySelector(".envoi-pourcentage");
    return {
      block,
      set(percent) {
        bar.value = percent;
        bar.setAttribute("aria-valuetext", percent + " %");
        words.textContent = percent + " %";
      },
    };
  }

  /** The upload form of a file, or the ePhoto code's form. */
  function pieceForm(spec) {
    const documentType = spec.document;
    const isFile = spec.is_file !== undefined ? spec.is_file : documentType !== "ephoto";
    if (!isFile) {
      return el("form", { novalidate: true, onsubmit: (event) => { event.preventDefault(); saveEphoto(documentType); } },
        el("div", { className: "resume-erreurs fr-alert fr-alert--error fr-mb-3w", role: "alert", tabindex: "-1", hidden: true }),
        el("div", { className: "fr-input-group" },
          el("label", { className: "fr-label", for: "ephoto-code" }, "Code ePhoto ",
            el("span", { className: "fr-hint-text", text: "22 lettres ou chiffres, inscrits sur la planche remise par la "
              + "cabine ou le photographe agréé ; les espaces sont ignorés" })),
          el("input", { className: "fr-input", id: "ephoto-code", maxlength: "40", autocomplete: "off",
            autocapitalize: "characters", spellcheck: "false", "aria-describedby": "erreur-ephoto-code" }),
          el("p", { id: "erreur-ephoto-code", className: "fr-error-text erreur-champ" })),
        el("button", { type: "submit", className: "fr-btn fr-btn--secondary", text: "Enregistrer le code",
          "aria-label": "Enregistrer le code ePhoto" }));
    }
    const types = spec.content_types || DEFAULT_TYPES;
    const kinds = DEFAULT_TYPES.filter((type) => types.includes(type)).map((type) => TYPE_NAMES[type]).join(", ");
    const limits = spec.max_bytes ? (spec.min_bytes ? "de " + sizeText(spec.min_bytes) + " à " : "")
      + sizeText(spec.max_bytes) + (spec.min_bytes ? "" : " au plus") : "";
    const inputId = "piece-" + documentType + "-fichier";
    const errorId = "erreur-piece-" + documentType;
    return el("form", { novalidate: true, onsubmit: (event) => { event.preventDefault(); upload(documentType); } },
      el("div", { className: "resume-erreurs fr-alert fr-alert--error fr-mb-3w", role: "alert", tabindex: "-1", hidden: true }),
      el("div", { className: "fr-upload-group" },
        el("label", { className: "fr-label", for: inputId }, "Fichier : " + spec.label,
          el("span", { className: "fr-hint-text", text: "Formats acceptés : " + kinds + (limits ? ". Taille : " + limits : "")
            + ". Un seul fichier." })),
        el("input", { className: "fr-upload", type: "file", id: inputId, accept: types.join(","),
          "aria-describedby": errorId }),
        el("p", { id: errorId, className: "fr-error-text erreur-champ" })),
      el("div", { className: "envoi", hidden: true },
        el("label", { className: "fr-label", for: inputId + "-envoi", text: "Envoi du fichier" }),
        el("div", { className: "envoi-ligne" },
          el("progress", { id: inputId + "-envoi", max: "100", value: "0" }),
          el("span", { className: "envoi-pourcentage", "aria-hidden": "true", text: "0 %" }))),
      el("button", { type: "submit", className: "fr-btn fr-btn--icon-left fr-icon-upload-line fr-mt-2w",
        text: "Envoyer le fichier", "aria-label": "Envoyer le fichier : " + spec.label }));
  }

  const isFile = (spec) => (spec.is_file !== undefined ? spec.is_file : spec.document !== "ephoto");

  /** A document named by the instructor's complement and not sent again since it was asked for. */
  function stillToReplace(spec) {
    const asked = request.complement_asked_at;
    if (!(request.complement_documents || []).some((named) => named.document === spec.document)) return false;
    return !(asked && spec.updated_at && spec.updated_at > asked && ["pending", "accepted"].includes(spec.state));
  }

  /** One document's state, its file when it was accepted, its refusal and, when it may be (re)placed,
   *  its form. announce: the checker's verdict just arrived (the refusal is read out once, here). */
  function renderPiece(documentType, hadFocus, announce) {
    const piece = pieces.get(documentType);
    const { spec, item, mayUpload, onlyRefused, complement } = piece;
    const state = spec.state || "awaiting_upload";
    const sent = !["awaiting_upload", "missing"].includes(state);
    const toReplace = complement && stillToReplace(spec);
    const mayChange = mayUpload && (!onlyRefused || state === "refused" || complement);
    const replaceable = mayChange && sent && state !== "pending" && !toReplace;
    const showForm = mayChange && (!sent || piece.replacing || toReplace);
    const body = item.querySelector(".piece-corps");
    const lost = !document.activeElement || document.activeElement === document.body;
    const keepFocus = body.contains(document.activeElement) || (hadFocus && lost);
    if (state !== "accepted") piece.preview = null;
    else if (!piece.preview && isFile(spec)) piece.preview = Demandes.filePreview(requestId, documentType, spec.label);
    body.replaceChildren(...[
      el("p", { className: "piece-etat" }, "État : ", Demandes.documentBadge(state, spec.state_label),
        toReplace ? el("span", { className: "fr-badge fr-badge--sm fr-badge--warning fr-ml-1w", text: "À remplacer" }) : null),
      piece.sentName && !piece.replacing && !toReplace ? el("div", { className: "envoi envoi-termine" },
        el("label", { className: "fr-label", for: "envoi-fait-" + documentType,
          text: "Fichier « " + piece.sentName + " » envoyé" }),
        el("div", { className: "envoi-ligne" },
          el("progress", { id: "envoi-fait-" + documentType, max: "100", value: "100", "aria-valuetext": "100 %" }),
          el("span", { className: "envoi-pourcentage", "aria-hidden": "true", text: "100 %" }))) : null,
      piece.preview,
      state === "refused" && spec.refusal ? el("p", { className: "refus", role: announce ? "alert" : null },
        el("strong", { text: "Pièce refusée. Motif : " }), spec.refusal,
        mayChange ? " Envoyez un autre fichier." : "") : null,
      replaceable && !piece.replacing ? el("button", { type: "button", className: "fr-btn fr-btn--secondary fr-btn--sm",
        text: "Remplacer", "aria-label": "Remplacer : " + spec.label,
        onclick: () => {
          piece.replacing = true;
          Permis.showMessage(piece.status, "");
          renderPiece(documentType);
          const field = item.querySelector("input");
          if (field) field.focus();
        } }) : null,
      showForm ? pieceForm(spec) : null,
    ].filter(Boolean));
    // The focused control was replaced (or disabled while busy): the focus stays in this document, on
    // its title (the next Tab goes on to the next document), instead of falling back to the page's top.
    if (keepFocus && !body.contains(document.activeElement)) item.querySelector("h3").focus();
  }

  /**
   * The list of required documents in `container` (each type is in one list of the page).
   *   mayUpload: the form is offered; onlyRefused: only for refused ones (after the submission);
   *   complement: the instructor named these documents, to be replaced whatever their state.
   */
  function renderPieces(container, documents, { mayUpload, onlyRefused, complement }) {
    const list = el("ul", { className: "pieces" }, documents.map((spec) => {
      const item = el("li", { className: "piece carte", id: "piece-" + spec.document },
        el("h3", { className: "fr-h6 fr-mb-1w", text: spec.label, tabindex: "-1" }),
        spec.reason ? el("p", { className: "fr-hint-text", text: spec.reason }) : null,
        el("div", { className: "piece-corps" }),
        el("p", { className: "piece-message", role: "status", "aria-live": "polite" }));
      watched.delete(spec.document);
      pieces.set(spec.document, { spec, item, mayUpload, onlyRefused, complement: Boolean(complement),
        replacing: false, preview: null, status: item.querySelector(".piece-message") });
      return item;
    }));
    container.replaceChildren(list);
    documents.forEach((spec) => {
      renderPiece(spec.document);
      if (spec.state === "pending") watch(spec.document);
    });
  }

  async function showDocumentsStep() {
    const state = byId("etat-documents");
    byId("continuer-6").href = stepLink(7);
    Permis.showMessage(state, "Chargement des pièces à fournir…", "info");
    await loadSummary();
    if (!summary) {
      Permis.showMessage(state, "Les pièces à fournir n'ont pas pu être chargées : rechargez la page.", "echec");
      return;
    }
    const documents = summary.required_documents || [];
    if (!documents.length) {
      Permis.showMessage(state, "Les pièces à fournir dépendent de l'état civil (étape 2) et des catégories "
        + "(étape 4) : enregistrez d'abord ces étapes.", "info");
      byId("pieces-edition").replaceChildren(el("ul", {},
        el("li", {}, el("a", { className: "fr-link", href: stepLink(2), text: "Aller à l'étape 2 : état civil" })),
        el("li", {}, el("a", { className: "fr-link", href: stepLink(4), text: "Aller à l'étape 4 : catégories et formation" }))));
      return;
    }
    Permis.showMessage(state, documents.length + (documents.length > 1 ? " pièces à fournir." : " pièce à fournir."));
    renderPieces(byId("pieces-edition"), documents, { mayUpload: can("upload"), onlyRefused: false });
  }

  // --- Step 7: summary and submission -------------------------------------------------------------------

  const CONSEQUENCES = {
    "sans-mandat": "Une fois déposée, la demande est envoyée au candidat : il reçoit un courriel et doit la valider "
      + "dans les 7 jours. Ensuite les pièces sont vérifiées puis la demande est instruite.",
    "mandat-papier": "Une fois déposée, les pièces sont vérifiées puis la demande est instruite. Conservez le mandat "
      + "papier signé par le candidat pendant 6 mois.",
    candidat: "Une fois déposée, les pièces sont vérifiées puis la demande est instruite. Vous suivrez son "
      + "avancement sur cette page.",
    mediation: "Une fois déposée, les pièces sont vérifiées puis la demande est instruite, sans validation par "
      + "courriel : la personne a consenti devant vous. Elle reçoit les nouvelles par courriel, par SMS, ou par "
      + "courrier que vous imprimez (« Courriers à envoyer »).",
  };

  /** The summary's field -> the step where it is corrected. */
  function stepOfField(field) {
    const name = String(field || "").split(".")[0];
    if (name === "consent") return 7; // a mediator's consent is recorded with the summary
    const step = STEPS.find((item) => item.key === name);
    return step ? step.number : 6;
  }

  async function showSummaryStep() {
    const state = byId("etat-recapitulatif");
    Permis.showMessage(state, "Vérification de la demande…", "info");
    await loadSummary();
    byId("recapitulatif").replaceChildren(...Demandes.stepsView(request, { headingTag: "h4" }));
    showConsentForm();
    if (!summary) {
      Permis.showMessage(state, "Le récapitulatif n'a pas pu être chargé : rechargez la page.", "echec");
      return;
    }
    const documents = summary.required_documents || [];
    byId("recapitulatif-pieces").replaceChildren(...(documents.length ? documents.map((spec) => el("li", {},
      el("span", { className: "recapitulatif-piece" }, spec.label), " ", Demandes.documentBadge(spec.state, spec.state_label),
      spec.state === "refused" && spec.refusal ? el("span", { className: "fr-hint-text", text: "Motif : " + spec.refusal }) : null))
      : [el("li", { text: "Les pièces à fournir dépendent des étapes 2 et 4 : enregistrez-les d'abord." })]),
    el("li", {}, el("a", { className: "fr-link", href: stepLink(6), text: "Voir ou changer les pièces (étape 6)" })));
    const missing = summary.missing || [];
    byId("manques").replaceChildren(...missing.map((item) => el("li", {},
      el("a", { href: stepLink(stepOfField(item.field)), text: item.message }))));
    byId("bloc-manques").hidden = !missing.length;
    const ready = summary.complete && can("submit");
    byId("formulaire-depot").hidden = !ready;
    byId("consequence-depot").textContent = CONSEQUENCES[request.mandate] || "";
    Permis.showMessage(state, ready
      ? "La demande est complète : vérifiez les informations ci-dessous puis déposez-la en bas de page."
      : missing.length
        ? "La demande n'est pas encore complète : " + missing.length
          + (missing.length > 1 ? " éléments manquent (liste ci-dessous)." : " élément manque (voir ci-dessous).")
        : "La demande ne peut pas être déposée pour le moment.", ready ? "succes" : "info");
  }

  // A mediator's request: the person's consent, recorded before the submission (PUT steps/consent).
  const consentForm = byId("formulaire-consent");
  let consentFilled = false; // filled once: what the person typed stays when they come back to step 7
  function showConsentForm() {
    consentForm.hidden = request.mandate !== "mediation" || !can("edit");
    if (consentForm.hidden || consentFilled) return;
    consentFilled = true;
    const steps = request.steps || {};
    const saved = { ...(steps.consent || steps.civil_status || {}),
      ...(typedDrafts.consent ? typedDrafts.consent.fields : {}) };
    byId("consent-birth_name").value = saved.birth_name || "";
    byId("consent-first_names").value = saved.first_names || "";
    byId("consent-method").value = saved.method || "";
    byId("consent-consented_on").value = saved.consented_on || "";
  }
  const readConsent = () => ({ birth_name: value("consent-birth_name"), first_names: value("consent-first_names"),
    method: value("consent-method"), consented_on: value("consent-consented_on") });
  autosave.register("consent", consentForm, readConsent);
  consentForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("enregistrer-consent");
    if (button.disabled) return;
    Permis.clearErrors(consentForm);
    const problems = Permis.checkRequired(consentForm);
    if (problems.length) {
      Permis.showErrors(consentForm, Permis.formErrors(problems));
      return;
    }
    Permis.busy(button, true, "Enregistrement…");
    await autosave.settle("consent");
    const result = await Permis.callApi(path("/steps/consent"), { method: "PUT", token: true, body: readConsent() });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      if (!conflict(result)) Permis.showErrors(consentForm, result.data, { prefix: "consent-" });
      return;
    }
    request = result.data;
    delete typedDrafts.consent;
    showHeader();
    noticeStep = 7;
    Permis.showMessage(byId("avis"), "Consentement enregistré : " + (request.consent || "") , "succes");
    showSummaryStep();
  });

  /** A new key per submit attempt; the same key when the same attempt is retried (network failure). */
  function newIdempotencyKey() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs https; this does not
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }
  let attempt = null; // {key, version}

  const submitForm = byId("formulaire-depot");
  const submitButton = byId("deposer");
  submitForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submitButton.disabled) return; // a double click sends once
    Permis.clearErrors(submitForm);
    if (!attempt || attempt.version !== request.version) attempt = { key: newIdempotencyKey(), version: request.version };
    Permis.busy(submitButton, true, "Dépôt en cours…");
    const result = await Permis.callApi(path("/submission"), {
      method: "POST", token: true, body: { version: attempt.version }, headers: { "Idempotency-Key": attempt.key },
    });
    if (result.sessionOver) return;
    Permis.busy(submitButton, false);
    if (result.status === 0 || result.status >= 500) {
      // The server may have got it: the next click sends the same key, it will not be filed twice.
      Permis.showErrors(submitForm, { ...result.data,
        message: result.data.message + " Cliquez de nouveau sur « Déposer la demande » : la demande ne sera pas déposée deux fois." });
      return;
    }
    attempt = null;
    if (!result.ok) {
      if (conflict(result)) return;
      await showSummaryStep(); // not_ready: the list of what is missing is up to date again
      if (submitForm.hidden) {
        Permis.showMessage(byId("etat-recapitulatif"), result.data.message, "echec");
        byId("titre-etape-7").focus();
      } else {
        Permis.showErrors(submitForm, result.data);
      }
      return;
    }
    request = result.data;
    Permis.showMessage(byId("avis"), "La demande est déposée. Son statut : « " + request.status_label + " ». "
      + (request.status_hint || ""), "succes");
    Permis.askFeedback();
    history.replaceState(null, "", window.location.pathname + "#id=" + encodeURIComponent(requestId));
    await showReadOnly();
    byId("titre").focus();
  });

  // --- Read only: after submission -----------------------------------------------------------------------

  function showValidationDeadline(target) {
    if (!request.validation_deadline || request.status !== "attente-validation-usager") {
      target.hidden = true;
      return;
    }
    target.textContent = "Le candidat a jusqu'au " + Permis.formatDate(request.validation_deadline, true)
      + " pour valider la demande.";
    target.hidden = false;
  }

  function showDivergence() {
    const block = byId("lecture-divergence");
    const fields = request.identity_divergence || [];
    if (!request.divergence_message && !fields.length) {
      block.hidden = true;
      return;
    }
    block.replaceChildren(
      el("p", { text: request.divergence_message || "L'identité du compte du candidat diffère de celle de la demande." }),
      el("ul", {}, fields.map((field) => el("li", { text: field.label || field.field }))));
    block.hidden = false;
  }

  async function schoolAction(button, route, done) {
    Permis.busy(button, true, "Envoi…");
    const result = await Permis.callApi(path(route), { method: "POST", token: true, body: { version: request.version } });
    if (result.sessionOver) return;
    Permis.busy(button, false);
    if (!result.ok) {
      if (!conflict(result)) Permis.showMessage(byId("etat-actions"), result.data.message, "echec");
      return;
    }
    // The page starts over on the request's new state (a draft again opens the steps).
    Permis.setNotice(done(result.data));
    history.replaceState(null, "", window.location.pathname + "#id=" + encodeURIComponent(requestId));
    window.location.reload();
  }

  function showActions() {
    const buttons = [];
    if (can("validate") && request.viewer === "candidate") {
      buttons.push(el("a", { className: "fr-btn", href: "valider.html#demande=" + encodeURIComponent(requestId),
        text: "Vérifier et valider la demande" }));
    }
    if (can("resend_validation")) {
      buttons.push(el("button", { type: "button", className: "fr-btn", text: "Renvoyer la demande de validation au candidat",
        onclick: (event) => schoolAction(event.currentTarget, "/resend-validation",
          (view) => "La demande de validation est renvoyée au candidat. Statut : « " + view.status_label + " ».") }));
    }
    if (can("resend_licence")) {
      buttons.push(el("button", { type: "button", className: "fr-btn", text: "Demander un nouvel envoi du titre",
        onclick: (event) => schoolAction(event.currentTarget, "/licence/resend",
          (view) => "Le nouvel envoi du titre est demandé. Statut : « " + view.status_label + " ».") }));
    }
    if (can("back_to_draft")) {
      buttons.push(el("button", { type: "button", className: "fr-btn fr-btn--secondary", text: "Reprendre la demande pour la corriger",
        onclick: (event) => {
          const sure = window.confirm("Reprendre la demande pour la corriger ? Elle revient à l'état « Brouillon » : "
            + "le candidat ne peut plus la valider tant que vous ne l'avez pas déposée de nouveau.");
          if (sure) {
            schoolAction(event.currentTarget, "/back-to-draft",
              () => "La demande est revenue à l'état « Brouillon » : corrigez-la puis déposez-la de nouveau.");
          }
        } }));
    }
    byId("lecture-actions").replaceChildren(...buttons);
  }

  /** The request's history, newest last (null when it could not be read: said on the page). */
  async function loadHistory() {
    const result = await Permis.callApi(path("/history"), { token: true });
    if (result.sessionOver) return null;
    if (!result.ok) {
      Permis.showMessage(byId("etat-historique"), result.data.message, "echec");
      return null;
    }
    return result.data.history || [];
  }

  function showHistory(rows) {
    if (!rows) return;
    Permis.showMessage(byId("etat-historique"), rows.length ? "" : "Aucun changement de statut pour le moment.");
    byId("historique").replaceChildren(...rows.map((row) => el("li", {},
      el("p", { className: "historique-date" }, el("time", { datetime: row.at, text: Permis.formatDate(row.at, true) })),
      el("p", {}, row.from_label
        ? ["De « " + row.from_label + " » à ", Demandes.statusBadge(row.to_status, row.to_label, true)]
        : ["Création : ", Demandes.statusBadge(row.to_status, row.to_label, true)],
      row.actor_label ? " — " + row.actor_label : ""),
      row.reason ? el("p", { className: "motif" }, el("strong", { text: "Motif : " }), row.reason) : null)));
  }

  /** A rejected request says why where its status is, not only in the history. */
  function showRejection(rows) {
    const target = byId("lecture-motif");
    const rejected = request.status === "rejetee" && (rows || []).filter((row) => row.to_status === "rejetee").pop();
    target.hidden = !(rejected && rejected.reason);
    target.textContent = target.hidden ? "" : "Motif du rejet, le " + Permis.formatDate(rejected.at, true) + " : "
      + rejected.reason;
  }

  // --- A complement asked by the instructor -----------------------------------------------------------
  // On top of the page: the instructor's reasons (the history's row of the request), the documents
  // named, each with its upload form until it is sent again, and the button that sends the request back.

  function showComplement(rows, documents) {
    const block = byId("bloc-complement");
    block.hidden = !can("send_complement");
    if (block.hidden) return documents;
    const asked = (rows || []).filter((row) => row.to_status === "complement-demande").pop();
    byId("motifs-complement").replaceChildren(...(asked
      ? [el("strong", { text: "Motif de l'instructeur, le " + Permis.formatDate(asked.at, true) + " : " }),
        asked.reason || "non précisé."]
      : ["L'instructeur a demandé un complément."]));
    const named = (request.complement_documents || []).map((item) => item.document);
    byId("liste-complement").replaceChildren(...(request.complement_documents || []).map((item) =>
      el("li", { text: item.label })));
    renderPieces(byId("pieces-complement"), documents.filter((spec) => named.includes(spec.document)),
      { mayUpload: can("upload"), complement: true });
    showComplementState();
    return documents.filter((spec) => !named.includes(spec.document));
  }

  /** How many of the documents asked for are sent again. */
  function showComplementState() {
    if (byId("bloc-complement").hidden) return;
    const named = request.complement_documents || [];
    const left = named.filter((item) => {
      const piece = pieces.get(item.document);
      return !piece || stillToReplace(piece.spec);
    });
    Permis.showMessage(byId("etat-complement"), left.length
      ? "À remplacer encore : " + left.map((item) => item.label).join(", ") + "."
      : (named.length > 1 ? "Les pièces demandées sont remplacées" : "La pièce demandée est remplacée")
        + " : renvoyez maintenant la demande à l'instructeur.", left.length ? "info" : "succes");
  }

  const complementForm = byId("formulaire-complement");
  complementForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("renvoyer-complement");
    if (button.disabled) return;
    Permis.clearErrors(complementForm);
    Permis.busy(button, true, "Envoi…");
    const result = await Permis.callApi(path("/complement"), { method: "POST", token: true,
      body: { version: request.version } });
    if (result.sessionOver) return;
    Permis.busy(button, false);
    if (!result.ok) {
      if (!conflict(result)) Permis.showErrors(complementForm, result.data);
      return;
    }
    Permis.setNotice("La demande est renvoyée à l'instructeur avec les pièces remplacées. Statut : « "
      + result.data.status_label + " ». " + (result.data.status_hint || ""));
    history.replaceState(null, "", window.location.pathname + "#id=" + encodeURIComponent(requestId));
    window.location.reload();
  });

  /** The documents: the filer's list of required ones (the summary), each with its state and its last
   *  change; the candidate of a school's request, the states of those sent. */
  async function readOnlyDocuments() {
    const [required, sent] = await Promise.all([
      request.viewer === "filer" ? Permis.callApi(path("/summary"), { token: true }) : null,
      Permis.callApi(path("/documents"), { token: true })]);
    if ((required && required.sessionOver) || sent.sessionOver) return null;
    const states = sent.ok ? sent.data.documents : [];
    if (!required || !required.ok) return states.map((item) => ({ ...item, refusal: item.reason }));
    const changed = Object.fromEntries(states.map((item) => [item.document, item.updated_at]));
    return (required.data.required_documents || []).map((spec) => ({ ...spec, updated_at: changed[spec.document] }));
  }

  function showReadOnlyDocuments(documents) {
    const state = byId("etat-lecture-pieces");
    if (!documents.length) {
      Permis.showMessage(state, byId("bloc-complement").hidden ? "Aucune pièce justificative à afficher."
        : "Les autres pièces n'ont pas à être remplacées.");
      byId("pieces-lecture").replaceChildren();
      return;
    }
    const refused = documents.filter((item) => item.state === "refused").length;
    Permis.showMessage(state, refused && can("upload")
      ? (refused > 1 ? refused + " pièces ont été refusées : remplacez-les." : "Une pièce a été refusée : remplacez-la.")
      : "");
    renderPieces(byId("pieces-lecture"), documents, { mayUpload: can("upload"), onlyRefused: true });
  }

  const thread = Permis.messageThread(byId("fil-messages"), {
    hint: "Pour les agents qui instruisent la demande et les autres personnes qui la suivent : un courriel les prévient.",
    sent: "Message envoyé : les autres personnes de la demande en sont prévenues par courriel." });

  async function showReadOnly() {
    editing = false;
    showHeader();
    document.querySelectorAll("section.etape").forEach((section) => { section.hidden = true; });
    byId("bloc-saisie").hidden = true;
    byId("brouillon-enregistre").textContent = "";
    byId("lecture-statut").replaceChildren("Statut : ", Demandes.statusBadge(request.status, request.status_label));
    byId("lecture-indication").textContent = request.status_hint || "";
    byId("indication-statut").textContent = "";
    showValidationDeadline(byId("lecture-echeance"));
    showDivergence();
    showActions();
    byId("bloc-recepisse").hidden = request.status === "brouillon";
    const registration = request.procedure === "inscription" || request.procedure === "inscription-retour";
    byId("bloc-attestation").hidden = !(request.neph && registration);
    byId("bloc-examens").hidden = !(request.neph && registration);
    byId("neph-attribue").textContent = request.neph ? "Numéro NEPH attribué : " + request.neph : "";
    byId("telecharger-fiche-retour").hidden = request.procedure !== "inscription-retour";
    byId("lecture-etapes").replaceChildren(...Demandes.stepsView(request, { headingTag: "h3" }));
    byId("bloc-messages").hidden = request.status === "brouillon";  // a draft has no thread yet
    const threadShown = request.status === "brouillon" ? null : thread.show(path("/messages"));
    byId("bloc-lecture").hidden = false;
    const [documents, rows] = await Promise.all([readOnlyDocuments(), loadHistory(),
      request.neph && registration ? showExams() : null,
      request.neph && registration && request.status === "validee" ? showConvocations() : null]);
    if (documents === null) return; // the session is over
    showHistory(rows);
    showRejection(rows);
    showReadOnlyDocuments(showComplement(rows, documents));
    if (threadShown && Permis.fragment().get("fil") === "messages") {  // a message's email leads here
      await threadShown;
      byId("titre-messages").focus();
    } else if (!byId("bloc-complement").hidden && noticeStep === null) byId("titre-complement").focus();
  }

  /** The results the examiners recorded, and for a passed category its CEPC and production request. */
  async function showExams() {
    const state = byId("etat-examens");
    const result = await Permis.callApi(path("/exams"), { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(state, result.data.message, "echec");
      return;
    }
    const { results, cepcs } = result.data;
    Permis.showMessage(state, results.length ? "" : "Aucun résultat d'examen enregistré pour le moment.");
    byId("examens").replaceChildren(...results.map((row) => el("li", {},
      el("p", { className: "historique-date" }, el("time", { datetime: row.day, text: Permis.formatDate(row.day) })),
      el("p", {}, el("strong", { text: row.test_label + " " + row.category + " : " + row.outcome_label }),
        " — " + row.centre + ", " + row.examiner))));
    byId("cepc").replaceChildren(...cepcs.flatMap((cepc) => [
      el("button", { type: "button", className: "fr-btn fr-btn--secondary fr-btn--icon-left fr-icon-download-line", text: "Télécharger le CEPC " + cepc.category + " (valable jusqu'au "
        + Permis.formatDate(cepc.valid_until) + ")", onclick: (event) => downloadPdf(event.currentTarget,
        byId("etat-cepc"), "/cepc/" + cepc.category, "du CEPC", "cepc_not_ready") }),
      el("a", { className: "fr-link", href: "demande.html#id=" + encodeURIComponent(cepc.production_request_id),
        text: "Demande de fabrication du titre n° " + cepc.production_request_id }),
    ]));
  }

  // --- Convocations: the school convenes its candidate to a test (a validated registration) -------

  async function showConvocations() {
    const state = byId("etat-convocations");
    const result = await Permis.callApi(path("/convocations"), { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(state, result.data.message, "echec");
      return;
    }
    const { convocations } = result.data;
    Permis.showMessage(state, convocations.length ? "" : "Aucune convocation pour le moment.");
    const tomorrow = Permis.parisDay(1);
    byId("convocations").replaceChildren(...convocations.map((c) => el("li", { className: "carte fr-mb-1w" },
      el("p", { className: "fr-mb-1v" }, el("strong", { text: c.test_label + " " + c.category }), " – ",
        el("time", { datetime: c.day, text: Permis.formatDate(c.day) }), " à " + c.time.replace(":", " h ")),
      el("p", { className: "fr-text--sm fr-mb-0", text: c.centre }),
      can("convene") && c.day >= tomorrow ? el("button", { type: "button",
        className: "fr-btn fr-btn--tertiary fr-btn--sm fr-mt-1w", text: "Annuler la convocation du "
          + Permis.formatDate(c.day), onclick: (event) => cancelConvocation(event.currentTarget, c) }) : null)));
    const form = byId("formulaire-convocation");
    form.hidden = !can("convene");
    const chosen = (request.steps.categories || {}).categories || [];
    byId("convocation-category").replaceChildren(...chosen.map((code) => el("option", { value: code, text: code })));
    byId("convocation-day").min = Permis.parisDay(0);
  }

  async function cancelConvocation(button, convocation) {
    Permis.busy(button, true, "Annulation…");
    const result = await Permis.callApi(path("/convocations/" + encodeURIComponent(convocation.convocation_id)),
      { method: "DELETE", token: true });
    if (result.sessionOver) return;
    Permis.busy(button, false);
    // The list first: redrawing it resets the status line, which must then say what happened.
    if (result.ok) await showConvocations();
    Permis.showMessage(byId("etat-convocations"), result.data.message, result.ok ? "succes" : "echec");
  }

  byId("formulaire-convocation").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    Permis.clearErrors(form);
    const problems = Permis.checkRequired(form);
    if (problems.length) {
      Permis.showErrors(form, Permis.formErrors(problems));
      return;
    }
    const checked = form.querySelector('input[name="test"]:checked');
    const body = { test: checked.value, category: byId("convocation-category").value,
      centre: byId("convocation-centre").value.trim(), day: byId("convocation-day").value,
      time: byId("convocation-time").value.slice(0, 5) };
    const button = byId("convoquer");
    Permis.busy(button, true, "Enregistrement…");
    const result = await Permis.callApi(path("/convocations"), { method: "POST", body, token: true });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showErrors(form, result.data, { prefix: "convocation-",
        codeFields: { convocation_exists: "day", not_convocable: "test" } });
      return;
    }
    form.reset();
    await showConvocations();
    Permis.showMessage(byId("etat-convocations"), "Convocation enregistrée : " + result.data.test_label + " "
      + result.data.category + " le " + Permis.formatDate(result.data.day) + " à " + result.data.time.replace(":", " h ")
      + ", " + result.data.centre + ".", "succes");
  });

  /** Downloads a PDF the API hands out as a presigned link of a minute (receipt, attestations). */
  async function downloadPdf(button, state, apiPath, what, notReadyCode) {
    Permis.showMessage(state, "");
    Permis.busy(button, true, "Préparation " + what + "…");
    const result = await Permis.callApi(path(apiPath), { token: true });
    if (result.sessionOver) return;
    Permis.busy(button, false);
    if (!result.ok) {
      Permis.showMessage(state, result.data.message, result.data.code === notReadyCode ? "info" : "echec");
      return;
    }
    // A presigned link valid one minute: opened at once, and only an http(s) address.
    if (!/^https?:\/\//i.test(result.data.url || "")) {
      Permis.showMessage(state, "Le lien " + what + " est invalide : réessayez.", "echec");
      return;
    }
    Permis.showMessage(state, "Téléchargement " + what + "…", "info");
    window.location.assign(result.data.url);
  }

  byId("telecharger-recepisse").addEventListener("click", (event) => downloadPdf(
    event.currentTarget, byId("etat-recepisse"), "/receipt", "du récépissé", "receipt_not_ready"));
  ["telecharger-attestation", "telecharger-fiche-retour"].forEach((id) => {
    byId(id).addEventListener("click", (event) => downloadPdf(
      event.currentTarget, byId("etat-attestation"), "/attestations/" + event.currentTarget.dataset.document,
      "du document", "attestation_not_ready"));
  });

  // --- Loading -----------------------------------------------------------------------------------------

  /** A candidate filing alone: the unsaved steps 2 and 3 start from their account's data. */
  async function prefillFromAccount() {
    if (request.mandate !== "candidat") return;
    const result = await Permis.callApi("/me", { token: true });
    if (result.sessionOver || !result.ok) return;
    const me = result.data;
    const steps = request.steps || {};
    if (!steps.civil_status && me.birth_date) {
      await fillCivilStatus({ birth_name: me.birth_name, usage_name: me.usage_name, first_names: me.first_names,
        sex: me.sex, birth_date: me.birth_date, birth_place: me.birth_place });
    }
    if (!steps.contact) {
      await fillContact({ address: me.address, email: me.email, mobile_phone: me.mobile_phone });
    }
  }

  /** A mediator's request: the person may have no email nor mobile (news by SMS, or by post). */
  function contactMayBeEmpty() {
    for (const id of ["contact-email", "contact-mobile_phone"]) {
      const input = byId(id);
      input.required = false;
      const mark = document.querySelector('label[for="' + id + '"] .requis');
      if (mark) mark.hidden = true;
    }
    byId("contact-mobile_phone").setAttribute("aria-describedby", "aide-contact-mediation erreur-contact-mobile_phone");
    const help = el("p", { id: "aide-contact-mediation", className: "fr-hint-text",
      text: "Facultatifs : sans adresse électronique, les nouvelles partent par SMS vers un portable français, sinon "
        + "par courrier à l'adresse ci-dessus, que vous imprimez depuis « Courriers à envoyer »." });
    byId("contact-email").closest(".fr-input-group").before(help);
  }

  async function showEditing() {
    editing = true;
    showHeader();
    byId("bloc-lecture").hidden = true;
    byId("vue-procedure").replaceChildren(Demandes.definitions([
      ["Démarche", request.procedure_label], ["Mandat", mandateLabel()], ["Auto-école", request.school_name],
    ]));
    byId("continuer-1").href = stepLink(2);
    if (request.mandate === "mediation") contactMayBeEmpty();
    showDraftSaved(false);
    const steps = request.steps || {};
    const fills = [];
    if (steps.civil_status) fills.push(fillCivilStatus(steps.civil_status));
    else showRepresentative();
    if (steps.contact) fills.push(fillContact(steps.contact));
    if (steps.categories) fillCategories(steps.categories);
    if (steps.declarations) fillDeclarations(steps.declarations);
    readBirthPlace.show();
    fills.push(prefillFromAccount());
    await Promise.all(fills);
    const restored = await restoreTyping();
    // Arriving from an action of the previous page (e.g. "Commencer la demande", whose notice shows
    // above): the focus goes to the step to fill, not back to the top of the page.
    showStep(stepFromHash() || (restored.length ? restored[0].number : firstUnfinishedStep()), Boolean(notice));
    if (currentStep !== 6 && currentStep !== 7) loadSummary();
  }

  // What the autosave kept of steps typed but not saved (a reload, a closed tab, another workstation):
  // put back in their forms, over the saved step, and said at the top of the page.
  let typedDrafts = {}; // step key -> {fields, saved_at}
  const FILLERS = { civil_status: fillCivilStatus, contact: fillContact, categories: fillCategories,
    declarations: fillDeclarations };

  async function restoreTyping() {
    const result = await Permis.callApi(path("/drafts"), { token: true });
    if (result.sessionOver || !result.ok) return [];
    typedDrafts = result.data.drafts || {};
    const restored = STEPS.filter((step) => typedDrafts[step.key] && FILLERS[step.key]);
    for (const step of restored) {
      await FILLERS[step.key]({ ...((request.steps || {})[step.key] || {}), ...typedDrafts[step.key].fields });
    }
    const consent = typedDrafts.consent;
    if (restored.length || consent) {
      const names = restored.map((step) => "étape " + step.number + " « " + step.title + " »");
      if (consent) names.push("consentement de la personne (étape 7)");
      const last = [...restored.map((step) => typedDrafts[step.key].saved_at), consent && consent.saved_at]
        .filter(Boolean).sort().pop();
      Permis.showMessage(byId("avis"), "Votre saisie non enregistrée a été conservée et reprise ("
        + names.join(", ") + ", le " + Permis.formatDate(last, true) + "). Vérifiez-la, puis cliquez sur "
        + "« Enregistrer et continuer » pour l'enregistrer dans la demande.", "info");
      noticeStep = restored.length ? restored[0].number : 7;
    }
    return restored;
  }

  async function load() {
    if (!Demandes.REQUEST_NUMBER.test(requestId)) {
      Permis.showMessage(byId("chargement"), "Cette adresse ne désigne pas une demande : ouvrez-la depuis « Mes "
        + "demandes ».", "echec");
      return;
    }
    const result = await Permis.callApi(path(), { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(byId("chargement"), result.data.message, "echec");
      return;
    }
    request = result.data;
    Permis.showMessage(byId("chargement"), "");
    if (Permis.knownRole() === "auto-ecole") byId("lien-tableau").textContent = "Tableau de bord";
    if (Permis.knownRole() === "mediateur") byId("lien-tableau").textContent = "Demandes accompagnées";
    if (can("edit")) await showEditing();
    else await showReadOnly();
  }

  load();
})();
