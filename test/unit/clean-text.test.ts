import { describe, expect, it } from "vitest";
import { cleanTicketText, emptyCounts, type CleaningCounts } from "../../layers/core/domain/clean-text.js";

const clean = (subject: string, body: string) => cleanTicketText(subject, body);
const counts = (c: Partial<CleaningCounts>) => ({ ...emptyCounts(), ...c });

describe("reply history", () => {
  it("drops a Gmail reply's quoted history and the signature above it", () => {
    const r = clean(
      "Re: Login broken",
      [
        "Still can't log in after the password reset, same error.",
        "",
        "Thanks,",
        "Jane Doe",
        "Acme Corp | +1 555 0100",
        "",
        "On Mon, Jun 3, 2024 at 10:12 AM Smart Support <support@example.com> wrote:",
        "> Hi Jane,",
        "> please try resetting your password.",
        ">",
        "> Best,",
        "> Support",
      ].join("\n"),
    );
    expect(r.text).toBe("Login broken Still can't log in after the password reset, same error.");
    expect(r.removed).toEqual(counts({ quoted_lines: 6, signature_lines: 3 }));
    expect(r.fallback).toBe(false);
  });

  it("drops Apple Mail's header wrapped over two lines", () => {
    const r = clean("Re: Export", "The CSV export is empty again.\n\nOn 3 Jun 2024, at 10:12, Support Team <support@example.com>\nwrote:\n\n> Fixed now.");
    expect(r.text).toBe("Export The CSV export is empty again.");
    expect(r.removed.quoted_lines).toBe(3);
  });

  it("drops Outlook's From/Sent/To/Subject block and everything after it", () => {
    const r = clean(
      "RE: Refund",
      [
        "I still have not received the refund.",
        "",
        "________________________________",
        "From: Support <support@example.com>",
        "Sent: Monday, June 3, 2024 10:12 AM",
        "To: Bob <bob@example.com>",
        "Subject: Refund",
        "",
        "Hi Bob, the refund was issued today.",
      ].join("\n"),
    );
    expect(r.text).toBe("Refund I still have not received the refund.");
    expect(r.removed.quoted_lines).toBe(6);
  });

  it("drops -----Original Message----- and inline '>' quotes but keeps the answers between them", () => {
    expect(clean("Re: x", "Yes, every time.\n\n-----Original Message-----\nFrom: a\nDoes it fail every time?").text).toBe("x Yes, every time.");
    const inline = clean("Re: SSO", "> Which IdP do you use?\nOkta.\n> Since when?\nSince the update yesterday.");
    expect(inline.text).toBe("SSO Okta.\nSince the update yesterday.");
    expect(inline.removed.quoted_lines).toBe(2);
  });

  it.each([
    ["German", "Am 03.06.2024 um 10:12 schrieb Support <support@example.com>:"],
    ["German, name first", "Am Mo., 3. Juni 2024 um 10:12 Uhr schrieb Support Team <s@example.com>:"],
    ["Spanish", "El lun, 3 jun 2024 a las 10:12, Soporte (<soporte@example.com>) escribió:"],
    ["French", "Le lun. 3 juin 2024 à 10:12, Support <support@example.com> a écrit :"],
    ["Portuguese", "Em seg., 3 de jun. de 2024 às 10:12, Suporte <suporte@example.com> escreveu:"],
    ["Italian", "Il giorno lun 3 giu 2024 alle ore 10:12 Supporto <supporto@example.com> ha scritto:"],
    ["Dutch", "Op ma 3 jun. 2024 om 10:12 schreef Support <support@example.com>:"],
  ])("drops a %s reply header and what follows", (_, header) => {
    const r = clean("Re: Problem", `Das Problem besteht weiterhin.\n\n${header}\n\nOld text we answered before.`);
    expect(r.text).toBe("Problem Das Problem besteht weiterhin.");
    expect(r.removed.quoted_lines).toBe(2);
  });

  it.each([
    ["German", ["Von: Support <s@example.de>", "Gesendet: Montag, 3. Juni 2024 10:12", "An: Hans <h@example.de>", "Betreff: Rechnung"]],
    ["Spanish", ["De: Soporte <s@example.es>", "Enviado: lunes, 3 de junio de 2024 10:12", "Para: Ana <a@example.es>", "Asunto: Factura"]],
    ["French", ["De : Support <s@example.fr>", "Envoyé : lundi 3 juin 2024 10:12", "À : Claire <c@example.fr>", "Objet : Facture"]],
    ["Italian", ["Da: Supporto <s@example.it>", "Inviato: lunedì 3 giugno 2024 10:12", "A: Marco <m@example.it>", "Oggetto: Fattura"]],
    ["Dutch", ["Van: Support <s@example.nl>", "Verzonden: maandag 3 juni 2024 10:12", "Aan: Pieter <p@example.nl>", "Onderwerp: Factuur"]],
  ])("drops a %s Outlook header block", (_, block) => {
    const r = clean("AW: Rechnung", ["Die Rechnung ist doppelt.", "", ...block, "", "Hallo, bitte prüfen Sie die Rechnung."].join("\n"));
    expect(r.text).toBe("Rechnung Die Rechnung ist doppelt.");
    expect(r.removed.quoted_lines).toBe(5);
  });
});

describe("forwarded mail", () => {
  it("drops Gmail's forward header but keeps the forwarded problem (and drops that mail's own history)", () => {
    const r = clean(
      "Fwd: API outage",
      [
        "See below, this is blocking our release.",
        "",
        "---------- Forwarded message ---------",
        "From: Ops <ops@acme.example>",
        "Date: Mon, Jun 3, 2024 at 9:00 AM",
        "Subject: API outage",
        "To: Dev <dev@acme.example>",
        "",
        "The API returns 503 on every call since 8am.",
        "",
        "On Sun, Jun 2, 2024 at 5:00 PM Bob <bob@acme.example> wrote:",
        "> unrelated old thread",
      ].join("\n"),
    );
    expect(r.text).toBe("API outage See below, this is blocking our release.\n\nThe API returns 503 on every call since 8am.");
    expect(r.removed).toEqual(counts({ forward_lines: 5, quoted_lines: 2 }));
  });

  it("keeps the content under Apple Mail's 'Begin forwarded message:'", () => {
    const r = clean(
      "Fwd: Invoice",
      "FYI\n\nBegin forwarded message:\n\nFrom: Billing <billing@vendor.example>\nSubject: Invoice 2024-118\nDate: 3 June 2024 at 09:00:00 CEST\nTo: me@acme.example\n\nYour invoice is overdue; the account will be suspended.",
    );
    expect(r.text).toBe("Invoice FYI\n\nYour invoice is overdue; the account will be suspended.");
    expect(r.removed.forward_lines).toBe(5);
  });

  it("treats the first Outlook block of an FW: mail as the forwarded mail's header", () => {
    const r = clean(
      "FW: Data deletion request",
      "Please handle.\n\nFrom: Customer <c@example.com>\nSent: Monday, June 3, 2024 10:12 AM\nTo: Info <info@acme.example>\nSubject: Data deletion request\n\nUnder GDPR I request erasure of my personal data.",
    );
    expect(r.text).toBe("Data deletion request Please handle.\n\nUnder GDPR I request erasure of my personal data.");
    expect(r.removed).toEqual(counts({ forward_lines: 4 }));
  });
});

describe("signatures and disclaimers", () => {
  it("cuts at the '-- ' delimiter", () => {
    const r = clean("Sync", "Calendar sync stopped.\n-- \nAlex Kim\nSenior Engineer\nhttps://acme.example");
    expect(r.text).toBe("Sync Calendar sync stopped.");
    expect(r.removed.signature_lines).toBe(4);
  });

  it.each([
    ["Best regards,", "Maria Garcia\nHead of Operations\nContoso Ltd. | +34 600 000 001"],
    ["Kind regards", "Tom"],
    ["Cheers,", "Ana"],
    ["Mit freundlichen Grüßen", "Hans Müller\nMüller GmbH"],
    ["Saludos cordiales,", "Lucía"],
    ["Cordialement,", "Claire Dubois"],
    ["Atenciosamente,", "João Silva"],
    ["Cordiali saluti", "Marco Rossi"],
    ["Met vriendelijke groet,", "Pieter de Vries"],
  ])("drops the closing %j and the name block under it", (closing, name) => {
    const r = clean("Refund", `Please refund the duplicate charge.\n\n${closing}\n${name}`);
    expect(r.text).toBe("Refund Please refund the duplicate charge.");
    expect(r.removed.signature_lines).toBe(1 + name.split("\n").length);
  });

  it("keeps a closing word that is followed by more of the message", () => {
    const body = `Thanks,\n${Array.from({ length: 10 }, (_, i) => `step ${i}: the export still fails with an empty file and no error shown`).join("\n")}`;
    expect(clean("Export", body).removed.signature_lines).toBe(0);
  });

  it.each(["Sent from my iPhone", "Enviado desde mi Android", "Von meinem iPhone gesendet", "Get Outlook for iOS"])("drops %j", (line) => {
    const r = clean("Down", `App is down for everyone\n\n${line}`);
    expect(r.text).toBe("Down App is down for everyone");
    expect(r.removed.signature_lines).toBe(1);
  });

  it("drops confidentiality notices and external-sender banners, paragraph by paragraph", () => {
    const r = clean(
      "Contract renewal",
      [
        "CAUTION: This email originated from outside of the organization. Do not click links unless you trust the sender.",
        "",
        "We want to renegotiate the contract before renewal.",
        "",
        "This e-mail (and any attachments) is confidential and may be privileged. It is intended only for the addressee.",
        "If you have received this e-mail in error, please notify the sender and delete it.",
        "",
        "Disclaimer: Fabrikam accepts no liability for viruses.",
        "",
        "Diese E-Mail enthält vertrauliche Informationen.",
      ].join("\n"),
    );
    expect(r.text).toBe("Contract renewal We want to renegotiate the contract before renewal.");
    expect(r.removed.disclaimer_lines).toBe(5);
  });
});

describe("HTML", () => {
  it("turns an HTML mail into text: blocks to lines, entities decoded, Gmail's blockquote dropped", () => {
    const r = clean(
      "Double charge",
      '<html><head><style>p{margin:0}</style></head><body><div dir="ltr"><p>Hello,</p><p>My card was charged twice &amp; I&#39;d like a refund&nbsp;for order &lt;A-17&gt;.<br>Thanks</p>' +
        '<div class="gmail_quote"><div class="gmail_attr">On Tue, Jan 2, 2024 at 9:00 AM Support &lt;s@example.com&gt; wrote:<br></div>' +
        "<blockquote class=\"gmail_quote\"><div>We charged your card.</div><blockquote>Older</blockquote></blockquote></div></div></body></html>",
    );
    expect(r.text).toBe("Double charge Hello,\n\nMy card was charged twice & I'd like a refund for order <A-17>.");
    expect(r.removed.html_entities).toBe(7);
    expect(r.removed.html_tags).toBeGreaterThan(10);
    expect(r.removed.quoted_lines).toBe(3);
    expect(r.removed.signature_lines).toBe(1);
  });

  it("leaves angle brackets that are not HTML alone", () => {
    expect(clean("Types", "List<String> fails for a < b and <jane@example.com>").text).toBe("Types List<String> fails for a < b and <jane@example.com>");
  });
});

describe("logs, stack traces, JSON", () => {
  it("collapses a Java stack trace to its exception line", () => {
    const frames = Array.from({ length: 40 }, (_, i) => `\tat com.acme.billing.Service${i}.run(Service${i}.java:${i + 10})`);
    const r = clean(
      "Crash on save",
      ["Saving an invoice crashes:", "", "Exception in thread \"main\" java.lang.IllegalStateException: Connection pool exhausted", ...frames, "Caused by: java.net.SocketTimeoutException: connect timed out", "\tat java.net.Socket.connect(Socket.java:601)", "\t... 38 more", "", "Please fix."].join("\n"),
    );
    expect(r.text).toBe('Crash on save Saving an invoice crashes:\n\n[log: Exception in thread "main" java.lang.IllegalStateException: Connection pool exhausted]\n\nPlease fix.');
    expect(r.removed).toEqual(counts({ log_lines: 44, log_blocks: 1 }));
  });

  it("collapses a Python traceback to the exception at its end", () => {
    const r = clean(
      "Import fails",
      'Traceback (most recent call last):\n  File "/app/main.py", line 12, in <module>\n    main()\n  File "/app/importer.py", line 88, in main\n    rows = int(value)\nValueError: invalid literal for int() with base 10: \'abc\'\nWhat does this mean?',
    );
    expect(r.text).toBe("Import fails [log: ValueError: invalid literal for int() with base 10: 'abc']\nWhat does this mean?");
    expect(r.removed).toEqual(counts({ log_lines: 6, log_blocks: 1 }));
  });

  it("collapses a Node stack trace with its error line", () => {
    const r = clean(
      "Webhook 500",
      "TypeError: Cannot read properties of undefined (reading 'id')\n    at handler (/srv/app/webhook.js:42:17)\n    at Layer.handle [as handle_request] (/srv/node_modules/express/lib/router/layer.js:95:5)\n    at next (node:internal/process/task_queues:140:7)\n    at /srv/app/index.js:10:3",
    );
    expect(r.text).toBe("Webhook 500 [log: TypeError: Cannot read properties of undefined (reading 'id')]");
    expect(r.removed.log_lines).toBe(5);
  });

  it("collapses a run of timestamped log lines to the first error, without its timestamp", () => {
    const r = clean(
      "Sync errors",
      "Our logs:\n2024-06-03T10:12:01.123Z INFO  sync started\n2024-06-03T10:12:02.001Z WARN  retrying batch 7\n2024-06-03T10:12:03.456Z ERROR [worker-3] sync failed: 401 Unauthorized from /v2/contacts\n2024-06-03T10:12:04.000Z INFO  sync stopped",
    );
    expect(r.text).toBe("Sync errors Our logs:\n[log: [worker-3] sync failed: 401 Unauthorized from /v2/contacts]");
    expect(r.removed).toEqual(counts({ log_lines: 4, log_blocks: 1 }));
  });

  it("collapses a pasted JSON error body to its message, and keeps a short inline JSON", () => {
    const json = JSON.stringify({ error: { type: "card_error", code: "card_declined", message: "Your card was declined." }, request_id: "req_123", livemode: true }, null, 2);
    const r = clean("Payment API", `The API answers:\n${json}\nWhy?`);
    expect(r.text).toBe("Payment API The API answers:\n[log: message: Your card was declined.]\nWhy?");
    expect(r.removed.log_lines).toBe(json.split("\n").length);
    expect(clean("Small", '{"ok": false}').text).toBe('Small {"ok": false}');
  });

  it("keeps a single stack-looking line and ordinary prose with 'at'", () => {
    const body = "It fails at checkout at 10am.\nat the end it shows: Error 503";
    expect(clean("Checkout", body).text).toBe(`Checkout ${body}`);
  });
});

describe("plain tickets and fall-back", () => {
  it.each([
    ["Login broken", "Cannot login."],
    ["Checkout down", "Checkout returns 503 for everyone."],
    ["refund", "pls refund 2nd charge asap"],
    ["URGENT", "site down!!!"],
    ["Facture", "J'ai été facturé deux fois ce mois-ci."],
  ])("leaves an SMS-style ticket as subject + body: %s", (subject, body) => {
    const r = clean(subject, body);
    expect(r.text).toBe(`${subject} ${body}`);
    expect(r.removed).toEqual(emptyCounts());
    expect(r.fallback).toBe(false);
  });

  it("normalises whitespace", () => {
    expect(clean("  Slow \u00a0 page ", "The   dashboard\t\tis slow.\r\n\r\n\r\n\r\nSince Monday.\u200b  ").text).toBe(
      "Slow page The dashboard is slow.\n\nSince Monday.",
    );
  });

  it("falls back to the original body when cleaning would leave nothing", () => {
    const r = clean("Fwd", "> Please see the error in the attached file.\n> It happens daily.");
    expect(r.fallback).toBe(true);
    expect(r.text).toBe("Fwd > Please see the error in the attached file.\n> It happens daily.");
    expect(clean("Hi", "Thanks!").text).toBe("Hi Thanks!");
  });

  it("never throws and never returns empty text on odd input", () => {
    for (const body of ["-- ", ">", "&#xD800; &bogus; &#0;", "<p></p>", "{", "[", "at x (y:1)\nat x (y:2)", "\u0000"]) {
      const r = clean("s", body);
      expect(r.text.length).toBeGreaterThan(0);
    }
  });
});
