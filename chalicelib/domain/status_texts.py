"""What a request's status says to each person who sees it: its name, and what happens next.

Users complained most of statuses with no reason and no one to ask (domain.md). So every status
shown to a person comes with one or two sentences that start with WHO acts ("À vous : …",
"Au candidat : …", "Rien à faire de votre part : …", "Terminé : …") and say what happens next.
The words depend on who reads them (`Audience`): the school that files, the candidate (filing
alone or validating a school's request), the digital mediator who files with a person, anyone on
the public tracking page, and the agents, who keep the official names (`STATUS_LABELS`).

Pure: no AWS, no I/O. Delays come from `procedures` (never repeated here as numbers)."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.accounts import Role
from chalicelib.domain.procedures import (AUTHORITY, CANDIDATE_VALIDATION_DAYS, POST_OFFICE_HOLD_DAYS,
                                          PRODUCTION_PROCEDURES, RESEND_REQUEST_MONTHS, STATUS_LABELS, Mandate,
                                          Procedure, RequestStatus)
from chalicelib.domain.requests import STEP_LABELS

S = RequestStatus


class Audience(StrEnum):
    ECOLE = "ecole"  # a member of the school that files the request
    CANDIDAT = "candidat"  # the candidate: filing alone, or validating a school's request
    MEDIATEUR = "mediateur"  # the digital mediator who files with and for a person
    PUBLIC = "public"  # anyone with the number, on the tracking page "Où en est mon permis ?"
    AGENT = "agent"  # DDT and CERT instructors, examiners, prefecture: the official names


# The words a next step starts with: who acts (or that nobody needs to, or that it is over).
OPENINGS = ("À vous :", "À vous, avec la personne :", "À votre auto-école :", "À l'auto-école :", "Au candidat :",
            "Au demandeur :", "Au titulaire :", "À la personne :", "À l'instructeur :",
            "Rien à faire de votre part :", "Terminé :")

# The candidate's own words where the official name is jargon for a 17-year-old, or asks them to act
# in a language that is not theirs:
_CANDIDATE_LABELS = {
    # "usager" is the administration's word for the person reading: say it to them directly.
    S.AWAITING_CANDIDATE_VALIDATION: "À valider par vous",
    # "Images": the candidate sent documents and a photo code, not "images".
    S.IMAGE_CHECK: "Vérification des pièces",
    # "Titre" is the administration's word for the card; everyone else says "permis".
    S.IN_PRODUCTION: "Permis en fabrication",
    S.SHIPPED: "Permis expédié",
    S.DELIVERED: "Permis remis",
    # "Retourné" and "Détruit" alone do not say what was returned or destroyed.
    S.RETURNED: "Permis non retiré",
    S.DESTROYED: "Permis détruit",
    # Kept: "En cours d'instruction" is the word of every email and of the school; the next step
    # says who instructs it ("un instructeur de la DDT examine la demande").
}
# Those who do not validate: it is the candidate's turn, said in plain words.
_WAITING_FOR_CANDIDATE = "En attente de validation par le candidat"
_LABELS: dict[Audience, dict[RequestStatus, str]] = {
    Audience.ECOLE: {},  # the official names: the school knows them from every other system
    Audience.AGENT: {},
    Audience.CANDIDAT: _CANDIDATE_LABELS,
    Audience.MEDIATEUR: {S.AWAITING_CANDIDATE_VALIDATION: _WAITING_FOR_CANDIDATE},
    Audience.PUBLIC: {S.AWAITING_CANDIDATE_VALIDATION: _WAITING_FOR_CANDIDATE},
}

# The history's word for a move no person made (the 7-day expiry, the move to instruction once
# every document is accepted, the partners' events, the licence ordered after the validation).
AUTOMATIC_ACTOR_LABEL = "Automatiquement"
# Why an automatic move happened, when nothing else says it.
AUTOMATIC_REASONS = {
    S.UNDER_REVIEW: "Toutes les pièces sont acceptées : la demande passe à l'instruction.",
}

_ROLE_AUDIENCES = {Role.AUTO_ECOLE: Audience.ECOLE, Role.CANDIDAT: Audience.CANDIDAT,
                   Role.MEDIATEUR: Audience.MEDIATEUR}


def audience_of(role: Role | str) -> Audience:
    """The audience of a signed-in person: a school member, a candidate, a mediator; anyone else
    with access to a request is an agent."""
    return _ROLE_AUDIENCES.get(Role(role), Audience.AGENT)


def filer_audience(mandate: Mandate) -> Audience:
    """Who filed a request of this mandate (the deposit receipt is theirs)."""
    if mandate is Mandate.SELF:
        return Audience.CANDIDAT
    if mandate is Mandate.MEDIATION:
        return Audience.MEDIATEUR
    return Audience.ECOLE


def status_label(status: RequestStatus | str, audience: Audience | str) -> str:
    """The name of the status for this audience: the official names of domain.md, except where a
    person would not understand them (see `_CANDIDATE_LABELS`)."""
    status = RequestStatus(status)
    return _LABELS[Audience(audience)].get(status) or STATUS_LABELS[status]


def _instructor(procedure: Procedure) -> str:
    return "un instructeur de la DDT" if AUTHORITY[procedure] == "DDT" else "un instructeur du CERT"


def next_step(status: RequestStatus | str, audience: Audience | str, procedure: Procedure | str, *,
              mandate: Mandate | str | None = None, resend_requested: bool = False) -> str:
    """One or two French sentences: who acts now, and what happens next.

    `mandate` tells the candidate whether a school filed the request (then the school acts for
    it); `resend_requested`: a returned licence whose resend is already asked for."""
    status, audience, procedure = RequestStatus(status), Audience(audience), Procedure(procedure)
    mandate = Mandate(mandate) if mandate is not None else None
    by_school = audience is Audience.CANDIDAT and mandate in (Mandate.NONE, Mandate.PAPER)
    return _TEXTS[status](audience, procedure, by_school, mandate, resend_requested)


# --- one function per status: (audience, procedure, filed by a school for this candidate, mandate,
# resend requested) -> text ------------------------------------------------------------------------

A = Audience
STEPS = sum(label[0].isdigit() for label in STEP_LABELS.values())  # the 7 numbered steps
DAYS = CANDIDATE_VALIDATION_DAYS


def _draft(audience, procedure, by_school, mandate, resend_requested):
    if audience is A.MEDIATEUR:
        return (f"À vous, avec la personne : complétez les {STEPS} étapes, recueillez son consentement puis déposez "
                "la demande. Rien n'est transmis avant le dépôt.")
    if by_school:
        then = " ; vous recevrez alors un courriel pour la valider" if mandate is Mandate.NONE else ""
        return (f"À votre auto-école : elle complète ou corrige la demande puis la dépose{then}. Rien n'est transmis "
                "avant le dépôt.")
    if audience in (A.PUBLIC, A.AGENT):
        return "Au demandeur : terminer la saisie puis déposer la demande. Rien n'est transmis avant le dépôt."
    return f"À vous : complétez les {STEPS} étapes puis déposez la demande. Rien n'est transmis avant le dépôt."


def _awaiting_validation(audience, procedure, by_school, mandate, resend_requested):
    then = "Ensuite les pièces seront vérifiées et un instructeur l'examinera."
    if audience is A.CANDIDAT:
        return f"À vous : vérifiez les informations puis validez la demande dans les {DAYS} jours. {then}"
    if audience is A.ECOLE:
        return (f"Au candidat : il doit valider la demande avec le lien reçu par courriel, dans les {DAYS} jours. "
                f"{then[:-1]} ; sans sa validation, la demande vous reviendra au statut « Expirée ».")
    if audience is A.AGENT:
        return (f"Au candidat : valider la demande dans les {DAYS} jours, sinon elle revient à l'auto-école. Elle "
                "n'est pas encore dans une file d'instruction.")
    return f"Au candidat : valider la demande avec le lien reçu par courriel, dans les {DAYS} jours. {then}"


def _expired(audience, procedure, by_school, mandate, resend_requested):
    if audience is A.ECOLE:
        return (f"À vous : le candidat n'a pas validé la demande dans les {DAYS} jours. Renvoyez-la-lui pour qu'il "
                "la valide, ou reprenez-la pour la corriger. Rien n'a été supprimé.")
    if audience is A.CANDIDAT:
        return (f"À vous : le délai de {DAYS} jours pour valider la demande est dépassé ; demandez à votre "
                "auto-école de vous la renvoyer. Rien n'a été supprimé.")
    return (f"À l'auto-école : le candidat n'a pas validé la demande dans les {DAYS} jours ; elle peut la lui "
            "renvoyer pour validation ou la corriger. Rien n'a été supprimé.")


def _image_check(audience, procedure, by_school, mandate, resend_requested):
    then = f"Ensuite {_instructor(procedure)} examinera la demande."
    if audience is A.AGENT:
        return ("Rien à faire de votre part : les pièces sont vérifiées automatiquement ; la demande entre dans la "
                "file d'instruction dès qu'elles sont toutes acceptées.")
    if audience is A.PUBLIC:
        return f"Rien à faire de votre part : les pièces et la photo sont vérifiées automatiquement. {then}"
    if by_school:
        return ("Rien à faire de votre part : les pièces et la photo sont vérifiées automatiquement (si l'une "
                f"d'elles est refusée, votre auto-école la remplace). {then}")
    return ("Rien à faire de votre part : les pièces et la photo sont vérifiées automatiquement ; si l'une d'elles "
            f"est refusée, remplacez-la. {then}")


def _under_review(audience, procedure, by_school, mandate, resend_requested):
    who = _instructor(procedure)
    if audience is A.AGENT:
        return "À l'instructeur : valider la demande, demander un complément ou la rejeter, en donnant le motif."
    if audience is A.MEDIATEUR:
        return (f"Rien à faire de votre part : {who} examine la demande ; la personne sera prévenue de sa décision "
                "(par SMS, ou par un courrier que vous lui enverrez).")
    if audience is A.PUBLIC:
        return f"Rien à faire de votre part : {who} examine la demande ; le candidat recevra un courriel à sa décision."
    return f"Rien à faire de votre part : {who} examine la demande ; vous recevrez un courriel à sa décision."


def _complement(audience, procedure, by_school, mandate, resend_requested):
    replace = ("remplacez les pièces demandées par l'instructeur (son motif est en haut de la page de la demande), "
               "puis renvoyez la demande ; l'instruction reprendra en priorité après leur vérification.")
    if audience is A.MEDIATEUR:
        return f"À vous, avec la personne : {replace}"
    if by_school:
        return ("À votre auto-école : elle remplace les pièces demandées par l'instructeur puis renvoie la demande ; "
                "donnez-lui les nouveaux documents si elle vous les demande. Le motif est sur la page de la demande.")
    if audience is A.PUBLIC:
        return ("Au demandeur : remplacer les pièces demandées par l'instructeur (le motif lui a été envoyé) puis "
                "renvoyer la demande ; l'instruction reprendra ensuite.")
    if audience is A.AGENT:
        return ("Au demandeur : remplacer les pièces demandées puis renvoyer la demande ; après leur vérification, "
                "elle revient dans la file d'instruction avant les nouvelles demandes.")
    return f"À vous : {replace}"


def _approved(audience, procedure, by_school, mandate, resend_requested):
    if procedure in PRODUCTION_PROCEDURES:  # the same transaction moves it on to "Titre en production"
        if audience is A.AGENT:
            return "Terminé : la demande est validée ; le permis est commandé à l'Imprimerie nationale."
        told = {A.MEDIATEUR: " ; la personne sera prévenue de son envoi", A.PUBLIC: ""}.get(
            audience, " ; vous recevrez un courriel à son envoi")
        return ("Rien à faire de votre part : la demande est validée et le permis part en fabrication à "
                f"l'Imprimerie nationale{told}.")
    sheet, it = "l'attestation d'inscription", "la"
    if procedure is Procedure.REGISTRATION_AFTER_INVALIDATION:
        sheet, it = "l'attestation d'inscription et la fiche retour au permis", "les"
    exams = "viennent ensuite les épreuves de l'examen du permis."
    if audience is A.ECOLE:
        return (f"À vous : téléchargez {sheet} (le NEPH est attribué) et remettez-{it} au candidat, qui {it} "
                f"présentera à chaque épreuve ; {exams}")
    if audience is A.CANDIDAT:
        return (f"À vous : téléchargez {sheet} (votre NEPH est attribué), imprimez-{it} et présentez-{it} à chaque "
                f"épreuve ; {exams}")
    if audience is A.MEDIATEUR:
        return (f"À vous : téléchargez {sheet} (le NEPH est attribué), imprimez-{it} et remettez-{it} à la personne, "
                f"qui {it} présentera à chaque épreuve ; {exams}")
    if audience is A.PUBLIC:
        return (f"Au candidat : télécharger {sheet} depuis son espace ou {it} demander à son auto-école, et {it} "
                f"présenter à chaque épreuve. L'inscription est validée et le NEPH attribué : {exams}")
    return ("Terminé : l'inscription est validée et le NEPH attribué ; les résultats des épreuves s'enregistrent "
            "avec ce NEPH.")


def _rejected(audience, procedure, by_school, mandate, resend_requested):
    if by_school:
        return ("À votre auto-école : la demande est rejetée (le motif est sur la page de la demande) ; pour "
                "continuer, elle doit déposer une nouvelle demande qui en tient compte.")
    if audience is A.PUBLIC:
        return ("Au demandeur : la demande est rejetée et le motif lui a été envoyé ; pour continuer, une nouvelle "
                "demande corrigée est nécessaire.")
    if audience is A.AGENT:
        return "Terminé : la demande est rejetée ; le demandeur a reçu le motif et doit déposer une nouvelle demande."
    opening = "À vous, avec la personne :" if audience is A.MEDIATEUR else "À vous :"
    return (f"{opening} la demande est rejetée ; le motif est sur la page de la demande. Pour continuer, déposez une "
            "nouvelle demande qui en tient compte.")


def _home(audience) -> str:
    return {A.CANDIDAT: "à votre domicile", A.MEDIATEUR: "au domicile de la personne",
            A.ECOLE: "au domicile du candidat"}.get(audience, "au domicile du titulaire")


def _in_production(audience, procedure, by_school, mandate, resend_requested):
    if audience is A.CANDIDAT:
        return ("Rien à faire de votre part : votre permis est en fabrication à l'Imprimerie nationale, puis il vous "
                "sera envoyé à domicile par lettre recommandée ; vous recevrez un courriel à son envoi.")
    return ("Rien à faire de votre part : le permis est en fabrication à l'Imprimerie nationale, puis il sera envoyé "
            f"{_home(audience)} par lettre recommandée.")


def _shipped(audience, procedure, by_school, mandate, resend_requested):
    if audience is A.CANDIDAT:
        return ("Rien à faire de votre part : votre permis arrive à votre domicile par lettre recommandée. Si vous "
                "êtes absent, un avis de passage vous dira où le retirer.")
    return (f"Rien à faire de votre part : le permis est envoyé {_home(audience)} par lettre recommandée ; en cas "
            "d'absence, un avis de passage dira où le retirer.")


def _at_post_office(audience, procedure, by_school, mandate, resend_requested):
    where = (f"au bureau de poste indiqué sur l'avis de passage, dans les {POST_OFFICE_HOLD_DAYS} jours, avec une "
             "pièce d'identité")
    if audience is A.CANDIDAT:
        return f"À vous : retirez votre permis {where}. Passé ce délai, il sera renvoyé."
    if audience is A.ECOLE:
        return f"Au candidat : retirer son permis {where} ; pensez à le lui rappeler."
    if audience is A.MEDIATEUR:
        return f"À la personne : retirer son permis {where} ; pensez à le lui rappeler."
    return f"Au titulaire : retirer le permis {where}. Passé ce délai, il sera renvoyé."


def _delivered(audience, procedure, by_school, mandate, resend_requested):
    if audience is A.CANDIDAT:
        return "Terminé : votre permis vous a été remis. Bonne route !"
    return "Terminé : le permis a été remis à son titulaire."


def _returned(audience, procedure, by_school, mandate, resend_requested):
    if resend_requested:
        return ("Rien à faire de votre part : le renvoi du permis est demandé ; l'Imprimerie nationale va le "
                "réexpédier par lettre recommandée.")
    late = f"dans les {RESEND_REQUEST_MONTHS} mois ; passé ce délai, il sera détruit."
    if audience in (A.PUBLIC, A.AGENT):
        return (f"Au demandeur : le permis n'a pas été retiré au bureau de poste. Demander son renvoi "
                f"depuis l'espace de la demande {late}")
    opening = "À vous, avec la personne :" if audience is A.MEDIATEUR else "À vous :"
    return f"{opening} le permis n'a pas été retiré au bureau de poste. Demandez son renvoi {late}"


def _destroyed(audience, procedure, by_school, mandate, resend_requested):
    gone = f"le permis n'a pas été réclamé dans les {RESEND_REQUEST_MONTHS} mois et a été détruit"
    if audience is A.CANDIDAT:
        return (f"À vous : votre permis n'a pas été réclamé dans les {RESEND_REQUEST_MONTHS} mois et a été détruit. "
                "Pour l'obtenir, une nouvelle demande de fabrication est nécessaire : déposez-la, ou demandez-la à "
                "votre auto-école.")
    if audience in (A.PUBLIC, A.AGENT):
        return f"Au demandeur : {gone} ; une nouvelle demande de fabrication est nécessaire."
    if audience is A.MEDIATEUR:
        return f"À vous, avec la personne : {gone}. Pour l'obtenir, déposez une nouvelle demande de fabrication."
    return f"À vous : {gone}. Pour que le candidat l'obtienne, déposez une nouvelle demande de fabrication."


_TEXTS = {
    S.DRAFT: _draft, S.AWAITING_CANDIDATE_VALIDATION: _awaiting_validation, S.EXPIRED: _expired,
    S.IMAGE_CHECK: _image_check, S.UNDER_REVIEW: _under_review, S.MORE_INFORMATION_REQUESTED: _complement,
    S.APPROVED: _approved, S.REJECTED: _rejected, S.IN_PRODUCTION: _in_production, S.SHIPPED: _shipped,
    S.AT_POST_OFFICE: _at_post_office, S.DELIVERED: _delivered, S.RETURNED: _returned, S.DESTROYED: _destroyed,
}
