"use strict";
// "Mes demandes": the signed-in school member's or candidate's requests (GET /requests, newest
// first, filters, pages by next_cursor), starting a new one (POST /requests) and, for a school,
// taking over another school's request (POST /requests/transfer). The role comes from GET /me.

(function demandes() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const PAGE_SIZE = 20;
  let me = null;

  const notice = Permis.takeNotice();
  if (notice) Permis.showMessage(byId("avis"), notice, "succes");

  function fillSelect(select, emptyLabel, pairs) {
    select.replaceChildren(el("option", { value: "", text: emptyLabel }),
      ...pairs.map(([value, label]) => el("option", { value, text: label })));
  }

  /** DSFR radios ([value, label] pairs), each described by the field's error. */
  function radios(container, name, pairs, errorId, requiredMessage) {
    container.replaceChildren(...pairs.map(([value, label]) => {
      const id = "nouvelle-" + name + "-" + value;
      return el("div", { className: "fr-fieldset__element" }, el("div", { className: "fr-radio-group" },
        el("input", { type: "radio", id, name, value, required: true, "aria-describedby": errorId,
          "data-requis": requiredMessage }),
        el("label", { className: "fr-label", for: id, text: label })));
    }));
  }

  /** #nouvelle (the menu's "Nouvelle demande"): the form is brought into view and focused. */
  function showNewForm() {
    if (window.location.hash !== "#nouvelle" || byId("nouvelle").hidden) return;
    byId("nouvelle").scrollIntoView();
    byId("titre-nouvelle").focus();
  }
  window.addEventListener("hashchange", showNewForm);

  async function load() {
    me = await Permis.profileFor(["auto-ecole", "candidat", "mediateur"], "Votre profil ne dépose pas de demandes : "
      + "cette page est réservée aux auto-écoles, aux candidats et aux médiateurs numériques.");
    if (!me) return;
    const isSchool = me.role === "auto-ecole";
    const isMediator = me.role === "mediateur"; // files with the person, under their identity

    const procedures = isSchool ? Demandes.PROCEDURES
      : Demandes.PROCEDURES.filter(([value]) => !Demandes.SCHOOL_ONLY_PROCEDURES.includes(value));
    radios(byId("choix-procedure"), "procedure", procedures, "erreur-nouvelle-procedure", "Choisissez la démarche.");
    if (isSchool) {
      radios(byId("choix-mandat"), "mandate", Demandes.SCHOOL_MANDATES, "erreur-nouvelle-mandate",
        "Choisissez si le candidat a signé un mandat papier ou non.");
      byId("bloc-mandat").hidden = false;
    } else if (isMediator) {
      byId("intro-nouvelle").textContent = "Vous déposez la demande avec la personne que vous accompagnez, sous son "
        + "identité. Son consentement (formulaire signé ou oral, en votre présence) s'enregistre avant le dépôt, à "
        + "l'étape « Récapitulatif et dépôt ». Un brouillon laissé trois mois sans modification est supprimé.";
    } else {
      byId("intro-nouvelle").textContent = "Vous faites la demande vous-même, sans auto-école. Choisissez la "
        + "démarche : la demande est créée à l'état « Brouillon » avec son numéro, puis vous la remplissez étape par "
        + "étape. Un brouillon laissé trois mois sans modification est supprimé.";
    }
    byId("intro-liste").textContent = isSchool
      ? "Les demandes de votre auto-école, les plus récentes d'abord."
      : isMediator ? "Les demandes que vous avez déposées avec les personnes accompagnées, les plus récentes d'abord."
        : "Vos demandes, et celles qu'une auto-école a faites pour vous, les plus récentes d'abord.";
    fillSelect(byId("filtre-status"), "Tous les statuts", Demandes.STATUSES);
    fillSelect(byId("filtre-procedure"), "Toutes les démarches", Demandes.PROCEDURES);
    if (isMediator) {
      byId("titre-page").textContent = "Demandes accompagnées";
      document.title = "Demandes accompagnées – Permis en ligne";
    } else if (!isSchool) {
      byId("titre-page").textContent = "Mes demandes";
    } else {
      byId("titre-page").textContent = "Tableau de bord";
      document.title = "Tableau de bord – Permis en ligne";
    }
    byId("nouvelle").hidden = false;
    byId("bloc-liste").hidden = false;
    byId("bloc-transfert").hidden = !isSchool;
    showNewForm();
    await loadPage();
  }

  // --- The list ------------------------------------------------------------------------------

  // cursors[i] opens page i + 1 (null: the first page); kept to go back a page.
  let cursors = [null];
  let pageIndex = 0;
  let filters = { status: "", procedure: "", name: "" };

  function showTable(rows, caption) {
    const table = el("table", {},
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, ["Numéro", "Candidat", "Démarche", "Statut", "Dernière modification", "Action"]
        .map((text) => el("th", { scope: "col", text })))),
      el("tbody", {}, rows.map((row) => {
        const href = "demande.html#id=" + encodeURIComponent(row.request_id);
        const who = row.candidate_name || "candidat non renseigné";
        return el("tr", { "data-avec-statut": true },
          el("th", { scope: "row" }, el("a", { href, text: row.request_id })),
          // data-label: on a phone each row becomes a card whose cells say what they are (style.css).
          el("td", { "data-label": "Candidat" }, row.candidate_name
            || el("span", { className: "fr-hint-text", text: "Non renseigné" })),
          el("td", { "data-label": "Démarche", text: row.procedure_label }),
          // The status and, under it, what happens next and who acts.
          el("td", { "data-label": "Statut" }, Demandes.statusBadge(row.status, row.status_label),
            el("p", { className: "prochaine-etape fr-text--xs fr-mb-0 fr-mt-1v", "data-prochaine-etape": true,
              text: row.next_step || "" })),
          el("td", { "data-label": "Dernière modification" },
            el("time", { datetime: row.updated_at, text: Permis.formatDate(row.updated_at, true) })),
          el("td", { "data-label": "Action" }, el("a", { className: "fr-link", href,
            text: row.status === "brouillon" ? "Compléter" : "Consulter",
            "aria-label": (row.status === "brouillon" ? "Compléter" : "Consulter") + " la demande n° "
              + row.request_id + " (" + who + ")" })));
      })));
    byId("contenu-tableau").replaceChildren(table);
    byId("tableau-demandes").hidden = false;
  }

  function showPagination(cursor) {
    byId("page-suivante").hidden = !cursor;
    byId("page-precedente").hidden = pageIndex === 0;
    byId("page-courante").textContent = "Page " + (pageIndex + 1);
    byId("pagination").hidden = !cursor && pageIndex === 0;
  }

  /** A search by number (12 digits): the request itself, when it is one of the caller's. */
  async function findByNumber(number) {
    const state = byId("etat-liste");
    const result = await Permis.callApi("/requests/" + encodeURIComponent(number), { token: true });
    if (result.sessionOver) return;
    showPagination(null);
    if (!result.ok) {
      byId("tableau-demandes").hidden = true;
      Permis.showMessage(state, result.status === 404 || result.status === 403
        ? "Aucune demande n° " + number + " dans votre espace : vérifiez le numéro." : result.data.message, "info");
      return;
    }
    const found = result.data;
    if ((filters.status && found.status !== filters.status)
      || (filters.procedure && found.procedure !== filters.procedure)) {
      byId("tableau-demandes").hidden = true;
      Permis.showMessage(state, "La demande n° " + number + " ne correspond pas au statut ou à la démarche choisis.", "info");
      return;
    }
    Permis.showMessage(state, "1 demande trouvée pour le numéro " + number + ".");
    showTable([found], "Demande n° " + number);
  }

  /** The status filter in the caller's own words (a candidate reads "À valider par vous"), from the list's answer. */
  function relabelStatuses(statuses) {
    const names = Object.fromEntries((statuses || []).map((item) => [item.status, item.label]));
    Array.from(byId("filtre-status").options).forEach((option) => {
      if (names[option.value]) option.textContent = names[option.value];
    });
  }

  async function loadPage() {
    const state = byId("etat-liste");
    Permis.showMessage(state, "Chargement…", "info");
    if (Demandes.REQUEST_NUMBER.test(filters.name.replace(/\s+/g, ""))) {
      await findByNumber(filters.name.replace(/\s+/g, ""));
      return;
    }
    // The server fills a filtered page by reading on (a few reads at most): a short page can still
    // have a next page when matches are far apart in a long list.
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
    if (cursors[pageIndex]) params.set("cursor", cursors[pageIndex]);
    const result = await Permis.callApi("/requests?" + params.toString(), { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(state, result.data.message, "echec");
      return;
    }
    const rows = result.data.requests || [];
    const cursor = result.data.next_cursor || null;
    relabelStatuses(result.data.statuses);
    const filtered = Object.values(filters).some(Boolean);
    cursors = cursors.slice(0, pageIndex + 1);
    if (cursor) cursors.push(cursor);
    showPagination(cursor);

    if (!rows.length) {
      byId("tableau-demandes").hidden = true;
      Permis.showMessage(state, cursor ? "Aucune demande trouvée dans cette partie de la liste : voyez la page suivante."
        : filtered ? "Aucune demande ne correspond à ces filtres."
        : pageIndex ? "Il n'y a pas d'autre demande." : "Aucune demande pour le moment : commencez-en une ci-dessous.", "info");
      return;
    }
    const count = rows.length + (rows.length > 1 ? " demandes" : " demande");
    const drafts = rows.filter((row) => row.status === "brouillon").length;
    Permis.showMessage(state, (pageIndex || cursor ? "Page " + (pageIndex + 1) + " : " : "") + count
      + (filtered ? " correspondant aux filtres" : "") + (drafts ? ", dont " + drafts + " en brouillon." : "."));
    showTable(rows, "Demandes" + (pageIndex || cursor ? ", page " + (pageIndex + 1) : "") + (filtered ? " (filtrées)" : ""));
  }

  const filterForm = byId("formulaire-filtres");
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    filters = {
      status: byId("filtre-status").value,
      procedure: byId("filtre-procedure").value,
      name: byId("filtre-name").value.trim(),
    };
    cursors = [null];
    pageIndex = 0;
    loadPage();
  });

  byId("effacer-filtres").addEventListener("click", () => {
    filterForm.reset();
    filters = { status: "", procedure: "", name: "" };
    cursors = [null];
    pageIndex = 0;
    loadPage();
  });

  // The button pressed may disappear with the new page: the focus goes to the list's title.
  async function turnPage(step) {
    pageIndex = Math.max(0, Math.min(pageIndex + step, cursors.length - 1));
    await loadPage();
    byId("titre-liste").focus();
  }
  byId("page-suivante").addEventListener("click", () => turnPage(1));
  byId("page-precedente").addEventListener("click", () => turnPage(-1));

  // --- Nouvelle demande ------------------------------------------------------------------------

  const createForm = byId("formulaire-nouvelle");
  const createButton = byId("creer");
  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (createButton.disabled || !me) return;
    Permis.clearErrors(createForm);
    const problems = Permis.checkRequired(createForm);
    if (problems.length) {
      Permis.showErrors(createForm, Permis.formErrors(problems));
      return;
    }
    const checked = (name) => createForm.querySelector('input[name="' + name + '"]:checked');
    const body = {
      procedure: checked("procedure").value,
      mandate: me.role === "auto-ecole" ? checked("mandate").value : me.role === "mediateur" ? "mediation" : "candidat",
    };
    Permis.busy(createButton, true, "Création de la demande…");
    const result = await Permis.callApi("/requests", { method: "POST", body, token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.busy(createButton, false);
      Permis.showErrors(createForm, result.data, { prefix: "nouvelle-" });
      return;
    }
    Permis.setNotice("La demande n° " + result.data.request_id + " est créée : remplissez-la étape par étape.");
    window.location.assign("demande.html#id=" + encodeURIComponent(result.data.request_id));
  });

  // --- Reprendre une demande (auto-école) ----------------------------------------------------------

  const transferForm = byId("formulaire-transfert");
  const transferButton = byId("reprendre");
  transferForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (transferButton.disabled) return;
    Permis.clearErrors(transferForm);
    const requestId = byId("transfert-request_id").value.replace(/\s+/g, "");
    const agrement = byId("transfert-former_agrement").value.replace(/\s+/g, "").toUpperCase();
    const problems = Permis.checkRequired(transferForm);
    if (requestId && !Demandes.REQUEST_NUMBER.test(requestId)) {
      problems.push({ errorId: "erreur-transfert-request_id", message: "Le numéro de la demande compte 12 chiffres." });
    }
    if (problems.length) {
      Permis.showErrors(transferForm, Permis.formErrors(problems));
      return;
    }
    Permis.busy(transferButton, true, "Reprise de la demande…");
    const result = await Permis.callApi("/requests/transfer", {
      method: "POST", token: true, body: { request_id: requestId, former_agrement: agrement },
    });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.busy(transferButton, false);
      Permis.showErrors(transferForm, result.data, { prefix: "transfert-" });
      return;
    }
    Permis.setNotice("La demande n° " + result.data.request_id + " est maintenant suivie par votre auto-école.");
    window.location.assign("demande.html#id=" + encodeURIComponent(result.data.request_id));
  });

  load();
})();
