"""The emails Permis en ligne sends about accounts, in French, as text and simple HTML.

Pure: the email worker fills them and SES sends them. Links point to the web pages (the token is
in the fragment, #jeton=..., which browsers never send to a server nor write in logs)."""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
SIGNATURE = "L'équipe Permis en ligne\nCe courriel est envoyé automatiquement : n'y répondez pas."


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


def _when(moment: datetime) -> str:
    local = moment.astimezone(PARIS)
    return local.strftime("%d/%m/%Y à %Hh%M")


def _render(to: str, subject: str, greeting: str, paragraphs: list[str], link: str | None = None,
            button: str | None = None, after: list[str] | None = None) -> Email:
    after = after or []
    text_parts = [greeting, *paragraphs]
    if link:
        text_parts.append(f"{button} : {link}")
    text_parts += after
    text = "\n\n".join(text_parts + [SIGNATURE])
    body = [f"<p>{html.escape(greeting)}</p>", *[f"<p>{html.escape(p)}</p>" for p in paragraphs]]
    if link:
        body.append(f'<p><a href="{html.escape(link, quote=True)}" style="display:inline-block;padding:12px 20px;'
                    f'background:#000091;color:#fff;text-decoration:none;border-radius:4px">{html.escape(button or "")}</a></p>'
                    f'<p style="font-size:13px;color:#555">Si le bouton ne fonctionne pas, copiez cette adresse dans '
                    f'votre navigateur : {html.escape(link)}</p>')
    body += [f"<p>{html.escape(p)}</p>" for p in after]
    body.append("<p style=\"font-size:13px;color:#555\">" + html.escape(SIGNATURE).replace("\n", "<br>") + "</p>")
    page = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{html.escape(subject)}</title></head>'
            f'<body style="font-family:Marianne,Arial,sans-serif;line-height:1.5;color:#161616">{"".join(body)}</body></html>')
    return Email(to=to, subject=subject, text=text, html=page)


def activation_email(*, to: str, first_name: str, link: str, deadline: datetime, kind: str,
                     school_name: str | None = None, inviter: str | None = None) -> Email:
    """kind: school_admin, school_member, candidate, candidate_for_school, agent, mediator."""
    deadline_text = f"Ce lien est valable jusqu'au {_when(deadline)} ; passé ce délai, le compte est supprimé et il faudra le créer à nouveau."
    if kind == "school_admin":
        intro = [f"Le compte professionnel de l'auto-école {school_name} est créé. Vous en êtes l'administrateur : "
                 "vous pourrez inviter vos collègues depuis votre espace.",
                 "Pour l'activer, suivez le lien ci-dessous et choisissez votre mot de passe."]
    elif kind == "school_member":
        intro = [f"{inviter} vous invite à rejoindre l'espace de l'auto-école {school_name} sur Permis en ligne.",
                 "Pour activer votre compte, suivez le lien ci-dessous et choisissez votre mot de passe."]
    elif kind == "candidate_for_school":
        intro = [f"L'auto-école {school_name} a préparé votre demande de permis de conduire sur Permis en ligne "
                 "et vous a ouvert un compte personnel.",
                 "Suivez le lien ci-dessous : vous choisirez votre mot de passe puis vous vérifierez et validerez "
                 "la demande, en une seule étape."]
    elif kind == "agent":
        intro = ["Un compte d'agent vous a été ouvert sur Permis en ligne.",
                 "Pour l'activer, suivez le lien ci-dessous et choisissez votre mot de passe ; à la première connexion, "
                 "vous configurerez la double authentification (application d'authentification)."]
    elif kind == "mediator":
        intro = ["Un compte de médiateur numérique vous a été ouvert sur Permis en ligne par la préfecture : vous "
                 "pourrez y déposer les demandes des personnes que vous accompagnez, avec leur consentement.",
                 "Pour l'activer, suivez le lien ci-dessous et choisissez votre mot de passe."]
    else:
        intro = ["Votre compte Permis en ligne est créé.",
                 "Pour l'activer, suivez le lien ci-dessous et choisissez votre mot de passe."]
    return _render(to, "Permis en ligne : activez votre compte", f"Bonjour {first_name},", intro + [deadline_text],
                   link, "Activer mon compte",
                   ["Vous n'êtes pas à l'origine de cette demande ? Ignorez ce courriel : sans activation, le compte "
                    "sera supprimé."])


def password_reset_email(*, to: str, first_name: str, link: str, deadline: datetime) -> Email:
    return _render(to, "Permis en ligne : choisissez un nouveau mot de passe", f"Bonjour {first_name},",
                   ["Vous avez demandé à changer le mot de passe de votre compte.",
                    f"Suivez le lien ci-dessous avant le {_when(deadline)} pour en choisir un nouveau. "
                    "Vos sessions ouvertes sur d'autres appareils seront fermées."],
                   link, "Choisir un nouveau mot de passe",
                   ["Vous n'êtes pas à l'origine de cette demande ? Ignorez ce courriel : votre mot de passe reste le même."])


def email_change_email(*, to: str, first_name: str, link: str, deadline: datetime) -> Email:
    return _render(to, "Permis en ligne : confirmez votre nouvelle adresse électronique", f"Bonjour {first_name},",
                   ["Vous avez demandé à utiliser cette adresse pour votre compte Permis en ligne.",
                    f"Confirmez-la en suivant le lien ci-dessous avant le {_when(deadline)}."],
                   link, "Confirmer cette adresse")


def franceconnect_link_email(*, to: str, first_name: str, identity: str, link: str, deadline: datetime) -> Email:
    return _render(to, "Permis en ligne : reliez votre compte à FranceConnect", f"Bonjour {first_name},",
                   [f"Une personne s'est identifiée avec FranceConnect sous le nom de {identity}, avec l'adresse "
                    "électronique de votre compte Permis en ligne, et demande à relier les deux.",
                    f"Si c'est vous, confirmez en suivant le lien ci-dessous avant le {_when(deadline)}. Votre état "
                    "civil sera alors celui que FranceConnect certifie, et vous vous connecterez avec FranceConnect."],
                   link, "Relier mon compte à FranceConnect",
                   ["Ce n'est pas vous ? Ignorez ce courriel : rien ne sera relié, et votre compte reste tel quel."])


def franceconnect_only_email(*, to: str, first_name: str, link: str) -> Email:
    return _render(to, "Permis en ligne : votre compte s'ouvre avec FranceConnect", f"Bonjour {first_name},",
                   ["Vous avez demandé un nouveau mot de passe. Votre compte Permis en ligne a été créé avec "
                    "FranceConnect et n'a pas de mot de passe : connectez-vous avec le bouton « S'identifier avec "
                    "FranceConnect », avec le compte (impots.gouv.fr, ameli.fr, l'Identité Numérique La Poste…) "
                    "que vous aviez choisi."],
                   link, "Se connecter avec FranceConnect",
                   ["Vous n'êtes pas à l'origine de cette demande ? Ignorez ce courriel."])


def email_changed_notice(*, to: str, first_name: str, new_email_masked: str) -> Email:
    return _render(to, "Permis en ligne : votre adresse électronique a changé", f"Bonjour {first_name},",
                   [f"L'adresse de votre compte Permis en ligne est désormais {new_email_masked}. "
                    "Les prochains courriels y seront envoyés.",
                    "Si vous n'êtes pas à l'origine de ce changement, contactez le support sans attendre."])


def member_removed_notice(*, to: str, first_name: str, school_name: str) -> Email:
    return _render(to, "Permis en ligne : accès à l'espace de l'auto-école retiré", f"Bonjour {first_name},",
                   [f"L'administrateur de l'auto-école {school_name} vous a retiré l'accès à son espace sur "
                    "Permis en ligne. Votre compte est fermé."])


# --- requests ------------------------------------------------------------------------------------

def validation_asked_email(*, to: str, first_name: str, school_name: str, procedure_label: str, request_id: str,
                           link: str, deadline: datetime, account_pending: bool) -> Email:
    paragraphs = [f"L'auto-école {school_name} a préparé pour vous la demande n° {request_id} : "
                  f"« {procedure_label} ».",
                  f"Vérifiez-la et validez-la avant le {_when(deadline)} : sans votre validation, elle reviendra à "
                  "l'auto-école et ne sera pas instruite."]
    if account_pending:
        paragraphs.append("Votre compte n'est pas encore activé : activez-le d'abord avec le lien reçu à sa création "
                          "(ou demandez-en un nouveau depuis la page d'activation), puis suivez le lien ci-dessous.")
    return _render(to, "Permis en ligne : validez votre demande de permis de conduire", f"Bonjour {first_name},",
                   paragraphs, link, "Vérifier et valider ma demande",
                   ["Vous n'avez rien demandé à cette auto-école ? Ne validez pas : la demande n'aura pas de suite."])


def validation_reminder_email(*, to: str, first_name: str, school_name: str, request_id: str, link: str,
                              deadline: datetime) -> Email:
    return _render(to, "Permis en ligne : rappel, votre demande attend votre validation", f"Bonjour {first_name},",
                   [f"La demande n° {request_id} préparée par l'auto-école {school_name} attend toujours votre "
                    f"validation. Il vous reste jusqu'au {_when(deadline)}.",
                    "Passé ce délai, elle reviendra à l'auto-école, qui devra vous la renvoyer."],
                   link, "Vérifier et valider ma demande")


def validation_expired_email(*, to: str, first_name: str, candidate_name: str, request_id: str, link: str) -> Email:
    return _render(to, "Permis en ligne : une demande n'a pas été validée par le candidat", f"Bonjour {first_name},",
                   [f"{candidate_name} n'a pas validé la demande n° {request_id} dans les 7 jours : elle est revenue "
                    "dans votre espace au statut « Expirée ». Rien n'a été supprimé.",
                    "Vous pouvez la renvoyer au candidat pour validation, ou la reprendre pour la corriger (une "
                    "adresse électronique erronée, par exemple)."],
                   link, "Voir la demande")


def request_transferred_email(*, to: str, first_name: str, request_id: str, candidate_name: str,
                              new_school: str, former: bool, link: str | None) -> Email:
    if former:
        paragraphs = [f"La demande n° {request_id} de {candidate_name} a été reprise par l'auto-école {new_school}, "
                      "avec le numéro d'agrément de votre auto-école. Elle n'apparaît plus dans votre espace.",
                      "Si vous n'avez pas convenu de ce transfert avec le candidat, contactez le support."]
    else:
        paragraphs = [f"Votre auto-école ({new_school}) a repris la demande n° {request_id} de {candidate_name}. "
                      "Elle figure désormais dans votre espace, avec son historique et ses pièces."]
    return _render(to, "Permis en ligne : transfert d'une demande", f"Bonjour {first_name},", paragraphs, link,
                   "Voir la demande" if link else None)


# --- support desk --------------------------------------------------------------------------------

def support_answer_email(*, to: str, ticket_id: str, subject: str, answer: str, link: str | None) -> Email:
    """The agent's answer to a message sent to the support (link: the sender's list, when signed in)."""
    return _render(to, f"Permis en ligne : réponse du support à votre message n° {ticket_id}", "Bonjour,",
                   [f"Le support de Permis en ligne a répondu à votre message n° {ticket_id} « {subject} » :",
                    answer],
                   link, "Voir mes messages au support" if link else None,
                   ["Pour une autre question, écrivez-nous de nouveau depuis la page « Contact et aide » : ne "
                    "répondez pas à ce courriel."])
# --- appointments (issue 9) ----------------------------------------------------------------------

def appointment_email(*, kind: str, to: str, first_name: str, request_id: str, candidate_name: str, when: str,
                      end_time: str | None, place: str, link: str | None) -> Email:
    """kind: booked (the confirmation), reminder (the day before), cancelled. `when` is the French
    day and time ("jeudi 10 décembre 2026 à 09h30")."""
    dossier = f"la demande n° {request_id}" + (f" ({candidate_name})" if candidate_name else "")
    slot = f"le {when}" + (f" (jusqu'à {end_time.replace(':', 'h')})" if end_time else "") + f", {place}"
    if kind == "booked":
        subject = "Permis en ligne : votre rendez-vous à la préfecture est réservé"
        paragraphs = [f"Votre rendez-vous pour {dossier} est réservé {slot}.",
                      "Apportez le dossier complet et les pièces originales. Vous pouvez annuler depuis votre "
                      "espace jusqu'à 24 heures avant le rendez-vous ; un rappel vous sera envoyé la veille."]
    elif kind == "reminder":
        subject = "Permis en ligne : rappel, votre rendez-vous à la préfecture est demain"
        paragraphs = [f"Rappel : vous avez rendez-vous {slot}, pour {dossier}.",
                      "Apportez le dossier complet et les pièces originales."]
    else:
        subject = "Permis en ligne : votre rendez-vous à la préfecture est annulé"
        paragraphs = [f"Le rendez-vous du {when}, {place}, pour {dossier}, est "
                      "annulé : la place est libérée. Vous pouvez en réserver un autre depuis votre espace."]
    return _render(to, subject, f"Bonjour {first_name},", paragraphs, link, "Voir mes rendez-vous" if link else None)
