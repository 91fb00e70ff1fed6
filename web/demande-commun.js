"use strict";
// What the request pages share (demandes.html, demande.html, valider.html): the French labels of
// procedures, statuses, categories, trainings and declarations (the same as the API's domain), the
// status badges, and the read-only view of a request's saved steps. Loaded after commun.js; lives
// in the one global object `Demandes`. Text from the server only goes in with textContent.

const Demandes = (() => {
  const el = Permis.el;

  // --- Labels (chalicelib/domain/procedures.py, requests.py) ---------------------------------------

  const PROCEDURES = [
    ["inscription", "Inscription à l'examen du permis de conduire (primo-accédant, extension de catégorie)"],
    ["inscription-retour", "Inscription à l'examen du permis de conduire suite à une invalidation ou annulation de permis"],
    ["titre-examen", "Demande de fabrication de titre après réussite à l'examen du permis de conduire"],
    ["titre-formation", "Demande de fabrication de titre à la suite d'une formation (AM, A, B96, levée du code 78)"],
    ["diplome-pro", "Demande de validation d'un diplôme professionnel"],
  ];
  // Only the school that gave the course can attest it: a candidate alone cannot file this one.
  const SCHOOL_ONLY_PROCEDURES = ["titre-formation"];

  const MANDATE_LABELS = {
    "mandat-papier": "Avec mandat papier", "sans-mandat": "Sans mandat (validation par le candidat)",
    candidat: "Demande faite par le candidat",
  };
  const SCHOOL_MANDATES = [
    ["mandat-papier", "Avec mandat papier : le candidat a signé un mandat que vous conservez 6 mois"],
    ["sans-mandat", "Sans mandat : le candidat valide la demande en ligne sous 7 jours"],
  ];

  const STATUSES = [
    ["brouillon", "Brouillon"], ["attente-validation-usager", "Attente validation usager"], ["expiree", "Expirée"],
    ["verification-images", "Vérification des images"], ["en-instruction", "En cours d'instruction"],
    ["complement-demande", "Complément demandé"], ["validee", "Validée"], ["rejetee", "Rejetée"],
    ["titre-en-production", "Titre en production"], ["titre-expedie", "Titre expédié"],
    ["disponible-bureau-de-poste", "Disponible en bureau de poste"], ["titre-remis", "Titre remis"],
    ["retourne", "Retourné"], ["detruit", "Détruit"],
  ];

  // Badge colour families: waiting for someone, in progress, ended well, ended badly.
  const STATUS_KINDS = {
    brouillon: "neutre", "attente-validation-usager": "attente", expiree: "attente", "complement-demande": "attente",
    "verification-images": "cours", "en-instruction": "cours", "titre-en-production": "cours",
    "titre-expedie": "cours", "disponible-bureau-de-poste": "attente",
    validee: "succes", "titre-remis": "succes", rejetee: "echec", retourne: "echec", detruit: "echec",
  };
  const DOCUMENT_KINDS = { awaiting_upload: "neutre", missing: "neutre", pending: "cours", accepted: "succes", refused: "echec" };
  const DOCUMENT_STATE_LABELS = {
    awaiting_upload: "En attente d'envoi", missing: "À fournir", pending: "En cours de vérification",
    accepted: "Acceptée", refused: "Refusée",
  };

  const CATEGORIES = [
    ["AM", "AM (cyclomoteur, voiturette)"], ["A1", "A1 (motocyclette légère)"],
    ["A2", "A2 (motocyclette de puissance limitée)"], ["A", "A (motocyclette)"], ["B1", "B1 (quadricycle lourd)"],
    ["B", "B (voiture)"], ["BE", "BE (voiture avec remorque)"], ["C1", "C1 (camion léger)"],
    ["C1E", "C1E (camion léger avec remorque)"], ["C", "C (poids lourd)"], ["CE", "CE (poids lourd avec remorque)"],
    ["D1", "D1 (minibus)"], ["D1E", "D1E (minibus avec remorque)"], ["D", "D (autobus, autocar)"],
    ["DE", "DE (autobus, autocar avec remorque)"],
  ];
  const TRAINING_PATHS = [
    ["traditionnelle", "Formation traditionnelle"],
    ["aac", "Apprentissage anticipé de la conduite (AAC)"],
    ["supervisee", "Conduite supervisée"],
  ];
  const COMPLEMENTARY_TRAININGS = [
    ["aucune", "Aucune"], ["b96", "B96"], ["levee-code-78", "Levée du code 78 (boîte de vitesses automatique)"],
  ];
  const QUALITIES = [["pere", "Père"], ["mere", "Mère"], ["tuteur", "Tuteur ou tutrice"]];
  const SEXES = [["F", "Femme"], ["M", "Homme"]];

  // The six declarations, worded as on the attestation d'inscription (Cerfa 02's successor).
  const DECLARATIONS = [
    { field: "exam_pending_elsewhere", group: "declare",
      text: "Être en instance d'examen dans le même ou un autre département" },
    { field: "reads_french", group: "declare", text: "Comprendre et lire couramment le français" },
    { field: "adapted_vehicle", group: "declare", text: "Devoir conduire un véhicule aménagé" },
    { field: "vision_correction", group: "est",
      text: "Porteur d'un dispositif de correction de la vision (verres correcteurs, lentilles de contact…)" },
    { field: "medical_condition", group: "est",
      text: "Atteint à sa connaissance d'une affection et/ou d'un handicap susceptible d'être incompatible avec "
        + "l'obtention ou le maintien du permis de conduire ou de donner lieu à la délivrance d'un permis de "
        + "conduire de validité limitée" },
    { field: "disability_pension", group: "est", text: "Titulaire d'une pension d'invalidité civile ou militaire" },
  ];
  const DECLARATION_GROUPS = { declare: "Le candidat déclare", est: "Le candidat est" };

  // The countries of the sign-up form's short list; any other is shown by its code.
  const COUNTRIES = Permis.COUNTRIES;

  // The seven steps; `key` is the step's name in the API (request.steps, PUT …/steps/{key}).
  const STEPS = [
    { number: 1, key: "procedure", title: "Démarche et mandat" },
    { number: 2, key: "civil_status", title: "État civil" },
    { number: 3, key: "contact", title: "Adresse et coordonnées" },
    { number: 4, key: "categories", title: "Catégories et formation" },
    { number: 5, key: "declarations", title: "Déclarations" },
    { number: 6, key: "documents", title: "Pièces justificatives" },
    { number: 7, key: "summary", title: "Récapitulatif et dépôt" },
  ];

  const labelOf = (pairs, value) => (pairs.find(([code]) => code === value) || [null, value])[1];
  const yesNo = (value) => (value === true ? "Oui" : value === false ? "Non" : "");

  const REQUEST_NUMBER = /^\d{12}$/;

  // --- Badges --------------------------------------------------------------------------------------

  // The DSFR badge of each colour family (the icon says it too, not the colour alone).
  const BADGE_CLASSES = { neutre: "", attente: "fr-badge--warning", cours: "fr-badge--info",
    succes: "fr-badge--success", echec: "fr-badge--error" };

  function badge(kind, text) {
    return el("span", { className: ("fr-badge fr-badge--sm " + (BADGE_CLASSES[kind] || "")).trim(),
      "data-famille": kind, text });
  }

  /** The badge of a request's status. Its current status is marked data-statut: the page shows next to it,
   *  in the same block (data-avec-statut), what happens next and who acts (data-prochaine-etape); the
   *  browser tests check it. past: a status of the history. */
  function statusBadge(status, label, past) {
    const shown = badge(STATUS_KINDS[status] || "neutre", label || labelOf(STATUSES, status));
    if (!past) shown.dataset.statut = status;
    return shown;
  }

  function documentBadge(state, label) {
    return badge(DOCUMENT_KINDS[state] || "neutre", label || DOCUMENT_STATE_LABELS[state] || state);
  }

  // --- Addresses and places ------------------------------------------------------------------------

  const STREET_TYPE_LABELS = Object.fromEntries(Permis.STREET_TYPES);
  const EXTENSIONS = { B: "bis", T: "ter", Q: "quater" };
  const communeNames = new Map(); // "postal code" -> Promise<{insee: name}>

  /** The commune's name from its INSEE code (saved addresses keep the code), via GET /communes. */
  function communeName(postalCode, insee) {
    if (!communeNames.has(postalCode)) {
      communeNames.set(postalCode, Permis.callApi("/communes/" + encodeURIComponent(postalCode))
        .then((result) => Object.fromEntries(result.ok
          ? (result.data.communes || []).map((commune) => [commune.insee_code, commune.name]) : [])));
    }
    return communeNames.get(postalCode).then((names) => names[insee] || null);
  }

  /** "3 bis Place Bellecour, Bât. A, 69002 Lyon 2e Arrondissement"; the commune's name arrives later. */
  function addressNode(address) {
    const street = [address.number, EXTENSIONS[address.extension] || address.extension,
      STREET_TYPE_LABELS[address.street_type] || address.street_type, address.street_name].filter(Boolean).join(" ");
    const commune = el("span", { text: address.commune_name || address.commune || "" });
    if (!address.commune_name && /^\d[\dAB]\d{3}$/.test(address.commune || "") && address.postal_code) {
      communeName(address.postal_code, address.commune).then((name) => { if (name) commune.textContent = name; });
    }
    return el("span", {}, [street, address.complement].filter(Boolean).join(", ") + ", "
      + (address.postal_code || "") + " ", commune);
  }

  function birthPlaceLine(place) {
    if (!place) return "";
    if (place.country === "FR") return place.commune + (place.departement ? " (" + place.departement + ")" : "");
    const country = labelOf(COUNTRIES, place.country);
    return [place.commune, country === place.country ? "pays " + place.country : country].filter(Boolean).join(", ");
  }

  // +33612345678 -> 06 12 34 56 78; other numbers as stored.
  function phoneLine(phone) {
    const french = /^\+33(\d{9})$/.exec(phone || "");
    return french ? ("0" + french[1]).replace(/(\d{2})(?=\d)/g, "$1 ") : phone;
  }

  // --- The read-only view of the steps -------------------------------------------------------------

  function definitions(rows, className = "compte") {
    const children = [];
    for (const [term, value] of rows) {
      if (value === null || value === undefined || value === "") continue;
      children.push(el("dt", { text: term }), el("dd", {}, value));
    }
    return el("dl", { className }, children);
  }

  function identityRows(person) {
    return [
      ["Nom de naissance", person.birth_name],
      ["Nom d'usage", person.usage_name],
      ["Prénoms", person.first_names],
      ["Sexe", person.sex ? labelOf(SEXES, person.sex) : ""],
      ["Date de naissance", Permis.formatDate(person.birth_date)],
    ];
  }

  const STEP_VIEWS = {
    procedure: (step, request) => definitions([
      ["Démarche", request.procedure_label || labelOf(PROCEDURES, step.procedure)],
      ["Mandat", request.mandate_label || MANDATE_LABELS[step.mandate] || step.mandate],
      ["Auto-école", request.school_name],
    ]),
    civil_status: (step, request, subTag) => {
      const nodes = [definitions([...identityRows(step), ["Lieu de naissance", birthPlaceLine(step.birth_place)]])];
      const representative = step.legal_representative;
      if (representative) {
        nodes.push(el(subTag, { text: "Représentant légal" }), definitions([
          ["Qualité", labelOf(QUALITIES, representative.quality)],
          ["Nom de naissance", representative.birth_name],
          ["Prénoms", representative.first_names],
          ["Date de naissance", Permis.formatDate(representative.birth_date)],
          ["Adresse", representative.address ? addressNode(representative.address) : ""],
        ]));
      }
      return nodes;
    },
    contact: (step) => definitions([
      ["Adresse", step.address ? addressNode(step.address) : ""],
      ["Adresse électronique", step.email],
      ["Téléphone portable", phoneLine(step.mobile_phone)],
    ]),
    categories: (step) => definitions([
      ["Catégorie(s) demandée(s)", (step.categories || []).map((code) => labelOf(CATEGORIES, code)).join(", ")],
      ["Formation", labelOf(TRAINING_PATHS, step.training_path)],
      ["Formation complémentaire", labelOf(COMPLEMENTARY_TRAININGS, step.complementary_training || "aucune")],
      ["Déjà titulaire d'un permis", yesNo(step.has_licence)],
      ["Catégorie(s) déjà obtenue(s)", step.has_licence
        ? (step.held_categories || []).map((code) => labelOf(CATEGORIES, code)).join(", ") || "Non précisées" : ""],
      ["Première demande de permis", yesNo(step.first_request)],
    ]),
    declarations: (step, request, subTag) => Object.entries(DECLARATION_GROUPS).map(([group, title]) => [
      el(subTag, { text: title }),
      definitions(DECLARATIONS.filter((item) => item.group === group)
        .map((item) => [item.text, step[item.field] === true ? "OUI" : step[item.field] === false ? "NON" : ""]),
      "fiche oui-non"),
    ]).flat(),
  };

  /**
   * The saved steps 1 to 5 of a request as headings and definition lists; an unsaved step says so.
   *   headingTag: "h3" by default (the steps' titles); their inner titles are one level below.
   */
  function stepsView(request, { headingTag = "h3" } = {}) {
    const subTag = "h" + Math.min(Number(headingTag.slice(1)) + 1, 6);
    const steps = request.steps || {};
    const nodes = [];
    for (const step of STEPS.slice(0, 5)) {
      nodes.push(el(headingTag, { text: step.number + ". " + step.title }));
      const saved = step.key === "procedure" ? { ...(steps.procedure || {}), procedure: request.procedure } : steps[step.key];
      nodes.push(saved ? STEP_VIEWS[step.key](saved, request, subTag)
        : el("p", { className: "fr-hint-text", text: "Étape pas encore remplie." }));
    }
    return nodes.flat();
  }

  // --- A person's own files ----------------------------------------------------------------------

  /**
   * A checked and accepted file of the request, for its filer or its candidate: GET
   * …/documents/{type}/file gives a link of a minute to the file itself. An image is shown at once
   * as a thumbnail (a button enlarges it in the page); a PDF is a link that asks for a fresh minute
   * at each click and opens the file in a new tab.
   */
  function filePreview(requestId, documentType, label) {
    const holder = el("div", { className: "apercu-piece" });
    const state = el("p", { className: "fr-hint-text fr-mb-0", role: "status", "aria-live": "polite" });
    const address = "/requests/" + encodeURIComponent(requestId) + "/documents/" + encodeURIComponent(documentType)
      + "/file";
    const freshLink = async () => {
      const result = await Permis.callApi(address, { token: true });
      if (!result.sessionOver && result.ok && !/^https?:\/\//i.test(result.data.url || "")) {
        return { ok: false, data: { message: "Le lien vers le fichier est invalide : réessayez." } };
      }
      return result;
    };

    function showImage(url) {
      const image = el("img", { className: "vignette", src: url, alt: "Aperçu du fichier envoyé : " + label });
      const enlarge = el("button", { type: "button", className: "fr-btn fr-btn--tertiary fr-btn--sm",
        "aria-pressed": "false", text: "Agrandir l'aperçu", "aria-label": "Agrandir l'aperçu : " + label });
      enlarge.addEventListener("click", () => {
        const large = image.classList.toggle("vignette--grande");
        enlarge.setAttribute("aria-pressed", String(large));
        enlarge.textContent = large ? "Réduire l'aperçu" : "Agrandir l'aperçu";
        enlarge.setAttribute("aria-label", enlarge.textContent + " : " + label);
      });
      holder.replaceChildren(image, enlarge, state);
    }

    function showPdfLink(url) {
      const link = el("a", { className: "fr-link", href: url, target: "_blank", rel: "noopener",
        text: "Ouvrir le PDF envoyé : " + label + " (nouvel onglet)" });
      // Each click asks for a fresh minute: the link drawn with the page may be older than that.
      link.addEventListener("click", async (event) => {
        event.preventDefault();
        Permis.showMessage(state, "Ouverture du fichier…");
        const result = await freshLink();
        if (result.sessionOver) return;
        if (!result.ok) {
          Permis.showMessage(state, result.data.message, "echec");
          return;
        }
        link.href = result.data.url;
        Permis.showMessage(state, "");
        if (!window.open(result.data.url, "_blank", "noopener")) window.location.assign(result.data.url);
      });
      holder.replaceChildren(link, state);
    }

    holder.append(state);
    Permis.showMessage(state, "Chargement de l'aperçu…");
    freshLink().then((result) => {
      if (result.sessionOver) return;
      if (!result.ok) {
        Permis.showMessage(state, result.data.message, "echec");
        return;
      }
      Permis.showMessage(state, "");
      if (String(result.data.content_type || "").startsWith("image/")) showImage(result.data.url);
      else showPdfLink(result.data.url);
    });
    return holder;
  }

  return {
    filePreview,
    PROCEDURES, SCHOOL_ONLY_PROCEDURES, MANDATE_LABELS, SCHOOL_MANDATES, STATUSES, CATEGORIES, TRAINING_PATHS,
    COMPLEMENTARY_TRAININGS, QUALITIES, SEXES, DECLARATIONS, DECLARATION_GROUPS, COUNTRIES, STEPS, REQUEST_NUMBER,
    DOCUMENT_STATE_LABELS, labelOf, yesNo, statusBadge, documentBadge, addressNode, birthPlaceLine, phoneLine,
    definitions, stepsView,
  };
})();
