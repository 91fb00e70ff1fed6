"""Messages on a request (issue 20, item 5), where their users stand: the DDT agent writes from the
console at 1280 px, the school answers from the request's page on a phone (375 px) reached from the
email's link, with a photo of a document attached (a file of the wrong kind is refused on the page
first); the agent reads the answer from their email's link and opens the file in the console once
checked (a read the prefecture finds in the audit); each gets one email per message of the other. The candidate validating a school's request tells it what is wrong from "Une
information n'est pas correcte", and the school reads it on the request's page."""
import io
import re

import requests
from PIL import Image
from playwright.sync_api import expect

from tests import patience
from tests.browser.conftest import demo_login
from tests.browser.console_steps import agent_headers, file_requests, sign_in_agent
from tests.browser.test_candidate_space import PASSWORD, unique_email
from tests.stack_support import email_links, link_token, mail_to, school_files_registration, wait_for


def notices(stack, address, number):
    """The emails to `address` announcing a message on request `number`, in the local mailbox."""
    messages = requests.get(stack["urls"]["web"] + "/boite-mail.json", timeout=10).json()["messages"]
    return [m for m in messages if address in m["to"]
            and f"nouveau message sur la demande n° {number}" in (m["subject"] or "")]


def link_in(email, page_name):
    """The email's link to `page_name`, as a path of the site (the test's own origin opens it)."""
    [link] = [link for link in email_links(email) if f"/{page_name}#" in link]
    return link.split("/", 3)[3]


def write(thread, text, files=()):
    thread.get_by_label("Votre message").fill(text)
    if files:
        thread.get_by_label(re.compile("Pièces jointes")).set_input_files(list(files))
    thread.get_by_role("button", name="Envoyer le message").click()
    expect(thread.get_by_role("status")).to_contain_text("Message envoyé")


def photo(name):
    """A phone's photo of a paper (a JPEG of a few hundred kilobytes), as Playwright hands it to the page."""
    buffer = io.BytesIO()
    Image.effect_noise((900, 1200), 40).convert("RGB").save(buffer, "JPEG", quality=90)
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_a_school_and_an_instructor_exchange_messages_and_each_gets_one_email_per_message(site, phone, stack):
    [number] = file_requests(stack, 1)
    school_email, agent_email = demo_login("auto-ecole"), demo_login("instructeur-ddt")

    # The agent opens the request (here from its address, as from the list) and writes, read-only.
    sign_in_agent(site, "instructeur-ddt")
    console = site.open(f"console.html#demande={number}")
    console.locator("#etat-demande").get_by_text(f"Demande {number} ouverte en lecture.").wait_for()
    thread = console.locator("#fil-messages")
    expect(thread).to_contain_text("Aucun message pour le moment.")
    write(thread, "Bonjour, le justificatif de domicile est-il au nom des parents de la candidate ?")
    expect(thread.locator(".fil-messages > li")).to_have_count(1)
    expect(thread.locator(".fil-messages > li").first).to_contain_text("Vous")
    site.check("messages-console-large")

    # The school hears of it by email, without its text, and answers from the request's page.
    to_school = wait_for(lambda: notices(stack, school_email, number), "the school's email")[0]
    assert "au nom des parents" not in to_school["html"] and "DDT-69" in to_school["html"]
    phone.sign_in(school_email)
    page = phone.open(link_in(to_school, "demande.html"))
    expect(page.locator("#titre-messages")).to_be_focused()  # the link leads to the thread
    answer = page.locator("#fil-messages")
    expect(answer.locator(".fil-messages > li")).to_have_count(1)
    expect(answer).to_contain_text("au nom des parents de la candidate")
    expect(answer.locator(".fil-messages > li").first).to_contain_text("DDT-69")
    # A file of a kind the service does not take is refused on the page, before anything is sent.
    answer.get_by_label("Votre message").fill("Oui : elle habite chez ses parents.")
    answer.get_by_label(re.compile("Pièces jointes")).set_input_files(
        [{"name": "hebergement.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"0" * 4000}])
    answer.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator("#erreur-message-attachments")).to_contain_text("« hebergement.gif » : format non accepté")
    write(answer, "Oui : elle habite chez ses parents.\nL'attestation d'hébergement est jointe.",
          [photo("attestation-hebergement.jpg")])
    messages = answer.locator(".fil-messages > li")
    expect(messages).to_have_count(2)
    # Checked within seconds: the page says so by itself, and the school can open its own file.
    expect(messages.nth(1).get_by_role("button", name="Afficher « attestation-hebergement.jpg »")).to_be_visible(
        timeout=patience.ms(60_000))
    phone.check("messages-demande-telephone")

    # The agent hears of the answer and reads it from the link, in the console.
    to_agent = wait_for(lambda: notices(stack, agent_email, number), "the agent's email")[0]
    console = site.open(link_in(to_agent, "console.html"))
    thread = console.locator("#fil-messages")
    expect(thread.locator(".fil-messages > li")).to_have_count(2)
    expect(thread.locator(".fil-messages > li").nth(1)).to_contain_text("L'attestation d'hébergement est jointe.")
    expect(thread.locator(".fil-messages > li").nth(1)).to_contain_text("Auto-école")
    # The file opens in the page, beside the message; the opening is in the request's reads audit.
    thread.get_by_role("button", name="Afficher « attestation-hebergement.jpg »").click()
    image = thread.get_by_role("img", name="Pièce jointe : attestation-hebergement.jpg")
    wait_for(lambda: image.evaluate("(img) => img.complete && img.naturalWidth > 0"), "the attachment shown")
    site.check("messages-piece-jointe-console-large")
    reads = requests.get(f"{site.api}/staff/requests/{number}/reads", timeout=30,
                         headers=agent_headers(stack, "prefecture")).json()["reads"]
    assert len([r for r in reads if r["what"].startswith("piece-jointe:")]) == 1, reads
    # One email per message of the other side, none for one's own.
    assert len(notices(stack, school_email, number)) == 1 and len(notices(stack, agent_email, number)) == 1

    # Rejected (over the API: the decision is tested elsewhere; the queue is left as found), the
    # request's thread stays readable and takes no more messages.
    headers = agent_headers(stack, "instructeur-ddt")
    taken = requests.post(f"{site.api}/staff/requests/{number}/claim", json={}, headers=headers, timeout=30)
    assert taken.status_code == 200, taken.text
    rejected = requests.post(f"{site.api}/staff/requests/{number}/decision", headers=headers, timeout=30,
                             json={"version": taken.json()["version"], "decision": "rejeter", "reasons": ["doublon"]})
    assert rejected.status_code == 200, rejected.text
    page = phone.open(f"demande.html#id={number}")
    expect(page.locator("#fil-messages")).to_contain_text("Rejetée » : elle est close")
    expect(page.locator("#fil-messages .fil-messages > li")).to_have_count(2)
    expect(page.locator("#message-text")).to_be_hidden()


def test_the_candidate_tells_the_school_what_is_wrong_before_validating(phone, site, stack):
    email = unique_email("lea.dupont")
    number = school_files_registration(stack, email, birth_name="Dupont", first_names="Léa")
    assert requests.post(stack["urls"]["api"] + "/accounts/activation", timeout=10,
                         json={"token": link_token(mail_to(stack, email)), "password": PASSWORD}).status_code == 200
    phone.sign_in(email, PASSWORD)
    page = phone.open(f"valider.html#demande={number}")
    page.get_by_role("button", name="Une information n'est pas correcte").click()
    thread = page.locator("#fil-messages")
    expect(thread).to_contain_text("Aucun message pour le moment.")
    # Sent empty: the page says what to fix, nothing is sent.
    thread.get_by_role("button", name="Envoyer le message").click()
    expect(page.locator("#erreur-message-text")).to_contain_text("Écrivez le message")
    write(thread, "Mon nom de naissance est Dupond, avec un d.")
    expect(thread.locator(".fil-messages > li").first).to_contain_text("Vous")
    phone.check("messages-valider-telephone")
    expect(page.locator("#bloc-validation")).to_be_visible()  # nothing validated meanwhile

    school_email = demo_login("auto-ecole")
    wait_for(lambda: notices(stack, school_email, number), "the school's email")
    site.sign_in(school_email)
    school = site.open(f"demande.html#id={number}")
    expect(school.locator("#fil-messages .fil-messages > li")).to_have_count(1)
    expect(school.locator("#fil-messages")).to_contain_text("Le candidat (Léa) – ")
    expect(school.locator("#fil-messages")).to_contain_text("Dupond, avec un d")
    assert notices(stack, email, number) == []  # not to its own writer
