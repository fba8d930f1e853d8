// What the model, the baseline and dedup read of a ticket: the customer's own words, without the e-mail
// around them (README "Text cleaning"). Pure and synchronous; the ticket keeps its original subject and body.
//
// Order: HTML → text (blockquotes become "> " lines), then one pass over the lines that drops quoted reply
// history (everything from the first reply header on) and forward headers (keeping what was forwarded), then
// disclaimer paragraphs, then pasted logs / stack traces / JSON collapsed to one `[log: …]` line, then the
// signature, then whitespace. Nothing here throws; if cleaning leaves no body, the original body is used.

export interface CleaningCounts {
  /** Lines of quoted history: "> " lines, and every non-blank line from a reply header on (header included). */
  quoted_lines: number;
  /** Forward header lines ("---------- Forwarded message ---------" and its From/Date/Subject/To block). */
  forward_lines: number;
  /** Signature lines: from "-- ", a closing ("Best regards,") before a short name block, "Sent from my …". */
  signature_lines: number;
  /** Confidentiality notices, disclaimers and "external sender" banners. */
  disclaimer_lines: number;
  html_tags: number;
  html_entities: number;
  /** Lines of pasted stack traces, log runs and JSON blobs, replaced by `log_blocks` `[log: …]` lines. */
  log_lines: number;
  log_blocks: number;
}

export interface CleanedText {
  /** `${subject} ${body}`, cleaned: what the model, the baseline and dedup read. */
  text: string;
  removed: CleaningCounts;
  /** Cleaning removed the whole body, so the (whitespace-normalised) original body is used. */
  fallback: boolean;
}

export const emptyCounts = (): CleaningCounts => ({
  quoted_lines: 0,
  forward_lines: 0,
  signature_lines: 0,
  disclaimer_lines: 0,
  html_tags: 0,
  html_entities: 0,
  log_lines: 0,
  log_blocks: 0,
});

// ---------------------------------------------------------------------------------------------- HTML

const HTML_TAG_NAMES =
  "html|head|body|div|p|br|span|a|b|i|u|s|strong|em|table|tbody|thead|tfoot|tr|td|th|ul|ol|li|h[1-6]|blockquote|font|img|hr|pre|code|center|small|big|sup|sub|meta|link|title|style|script|section|article|header|footer|label|wbr|o:p|v:\\w+|w:\\w+";
const HTML_TAG = new RegExp(`<\\/?(?:${HTML_TAG_NAMES})(?=[\\s/>])[^<>]*>`, "gi");
const HAS_HTML = new RegExp(`<\\/?(?:${HTML_TAG_NAMES})(?=[\\s/>])[^<>]*>|<!--`, "i");
const BLOCK_BREAK = /<(?:br|hr)\b[^<>]*>|<\/?(?:p|div|tr|li|ul|ol|table|h[1-6]|pre|section|article|header|footer|center)\b[^<>]*>/gi;
const BLOCKQUOTE = /<(\/?)blockquote\b[^<>]*>/gi;

const ENTITIES: Record<string, string> = {
  nbsp: " ", amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", hellip: "…", mdash: "—", ndash: "–",
  rsquo: "’", lsquo: "‘", rdquo: "”", ldquo: "“", laquo: "«", raquo: "»", euro: "€", pound: "£", copy: "©",
  reg: "®", trade: "™", bull: "•", middot: "·", shy: "", zwnj: "", zwj: "", times: "×", deg: "°",
  auml: "ä", ouml: "ö", uuml: "ü", Auml: "Ä", Ouml: "Ö", Uuml: "Ü", szlig: "ß", eacute: "é", egrave: "è",
  agrave: "à", aacute: "á", oacute: "ó", iacute: "í", uacute: "ú", ntilde: "ñ", ccedil: "ç", atilde: "ã", otilde: "õ",
};

function decodeEntities(s: string, n: CleaningCounts): string {
  return s.replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/gi, (m, e: string) => {
    let out: string | undefined;
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      out = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : undefined;
    } else out = ENTITIES[e] ?? ENTITIES[e.toLowerCase()];
    if (out === undefined) return m;
    n.html_entities++;
    return out;
  });
}

/** HTML to text: line breaks where blocks end, blockquoted lines prefixed "> ", tags dropped, entities decoded. */
function htmlToText(s: string, n: CleaningCounts): string {
  if (HAS_HTML.test(s)) {
    const count = (re: RegExp) => (s.match(re) ?? []).length;
    n.html_tags += count(/<!--[\s\S]*?-->/g);
    s = s.replace(/<!--[\s\S]*?-->/g, "");
    s = s.replace(/<(style|script|head|title)\b[^<>]*>[\s\S]*?<\/\1\s*>/gi, () => {
      n.html_tags += 2;
      return "\n";
    });
    s = s.replace(/<\/?(?:!doctype|\?xml)[^<>]*>/gi, () => (n.html_tags++, ""));
    s = s.replace(BLOCK_BREAK, () => (n.html_tags++, "\n"));
    // Blockquotes (Gmail's and Outlook's HTML quoting) become "> " lines, so the line pass drops them as quotes.
    const parts = s.split(BLOCKQUOTE);
    let depth = 0;
    let text = "";
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 1) {
        n.html_tags++;
        depth = Math.max(0, depth + (parts[i] === "/" ? -1 : 1));
        text += "\n";
        continue;
      }
      const seg = parts[i]!.replace(HTML_TAG, () => (n.html_tags++, ""));
      text += depth > 0 ? seg.split("\n").map((l) => (l.trim() ? `> ${l}` : l)).join("\n") : seg;
    }
    s = text;
  }
  return decodeEntities(s, n);
}

// --------------------------------------------------------------------------------- reply and forward headers

// "On Mon, 3 Jun 2024 at 10:12, Jane Doe <jane@example.com> wrote:" and its translations; may wrap onto a 2nd line.
const REPLY_HEADERS = [
  /^On\s.{4,300}\swrote\s?:?$/i,
  /^Am\s.{4,300}\sschrieb\b.{0,300}:$/i,
  /^El\s.{4,300}\sescribi[óo]\s?:?$/i,
  /^Le\s.{4,300}\sa\s+[ée]crit\s?:?$/i,
  /^Em\s.{4,300}\sescreveu\s?:?$/i,
  /^Il\s.{4,300}\sha\s+scritto\s?:?$/i,
  /^Op\s.{4,300}\sschreef\b.{0,300}:$/i,
  /^.{0,200}<[^<>\s]+@[^<>\s]+>\s*(?:wrote|schrieb|escribi[óo]|a [ée]crit|escreveu|ha scritto|schreef)\s?:$/i,
];
const REPLY_OPENER = /^(?:On|Am|El|Le|Em|Il|Op)\s/i;
const ORIGINAL_MESSAGE =
  /^-{2,}\s*(?:original message|urspr[üu]ngliche nachricht|mensaje original|message d'origine|messaggio originale|oorspronkelijk bericht|mensagem original)\s*-{2,}$/i;
const FORWARD_MARKER =
  /^(?:-{2,}\s*(?:forwarded message|weitergeleitete nachricht|mensaje reenviado|message transf[ée]r[ée]|mensagem encaminhada|messaggio inoltrato|doorgestuurd bericht)\s*-{2,}|begin forwarded message\s?:|anfang der weitergeleiteten nachricht\s?:|inicio del mensaje reenviado\s?:|d[ée]but du message r[ée]exp[ée]di[ée]\s?:|in[íi]cio da mensagem reencaminhada\s?:|inizio messaggio inoltrato\s?:|begin doorgestuurd bericht\s?:)$/i;
/** Subjects of a forwarded mail: its first header block introduces the forwarded content, not history. */
const FORWARD_SUBJECT = /^\s*(?:fwd?|wg|tr|rv|enc|doorst)\s*:/i;
const SUBJECT_PREFIX = /^\s*(?:(?:re|fwd?|aw|wg|sv|vs|antw|tr|rv|res|enc|doorst)\s*(?:\[\d+\])?\s*:\s*)+/i;

// Outlook's header block, in the languages above: "From: … / Sent: … / To: … / Subject: …" (Gmail's HTML: "*From:*").
const HEADER_KEY =
  /^\s*\*?(?:from|sent|date|to|cc|bcc|subject|reply-to|von|gesendet|datum|an|betreff|de|enviado|enviada|fecha|para|asunto|envoy[ée]|[àa]|objet|da|inviato|data|oggetto|van|verzonden|aan|onderwerp|assunto)\s?:\*?(?:\s|$)/i;
const FROM_KEY = /^\s*\*?(?:from|von|de|da|van)\s?:\*?\s*\S/i;
const DATE_KEY = /^\s*\*?(?:sent|date|gesendet|datum|enviado|enviada|fecha|envoy[ée]|inviato|data|verzonden)\s?:/i;
const TO_SUBJECT_KEY = /^\s*\*?(?:to|subject|an|betreff|para|asunto|[àa]|objet|oggetto|aan|onderwerp|assunto)\s?:/i;

/** Lines taken by an Outlook header block starting at i (an "_____" separator line may precede it), else 0. */
function outlookBlock(lines: string[], i: number): number {
  let start = i;
  if (/^\s*_{10,}\s*$/.test(lines[i]!)) start = i + 1;
  if (!FROM_KEY.test(lines[start] ?? "")) return 0;
  let date = false;
  let toOrSubject = false;
  let end = start + 1;
  for (let j = start + 1; j < Math.min(lines.length, start + 8); j++) {
    const l = lines[j]!;
    if (!l.trim()) break;
    if (HEADER_KEY.test(l)) {
      date ||= DATE_KEY.test(l);
      toOrSubject ||= TO_SUBJECT_KEY.test(l);
      end = j + 1;
    }
  }
  return date && toOrSubject ? end - i : 0;
}

/** Lines taken by a reply header ("On … wrote:", "-----Original Message-----", an Outlook block) at i, else 0. */
function replyHeader(lines: string[], i: number): number {
  const l = lines[i]!.trim();
  if (ORIGINAL_MESSAGE.test(l)) return 1;
  if (REPLY_HEADERS.some((re) => re.test(l))) return 1;
  if (REPLY_OPENER.test(l) && i + 1 < lines.length) {
    const joined = `${l} ${lines[i + 1]!.trim()}`;
    if (REPLY_HEADERS.some((re) => re.test(joined))) return 2;
  }
  return outlookBlock(lines, i);
}

/** Header key lines (From:, Date:, Subject:, To: …) right after a forward marker; how many. */
function headerLinesAfter(lines: string[], i: number): number {
  let j = i;
  while (j < lines.length && j < i + 2 && !lines[j]!.trim()) j++; // Apple Mail leaves a blank line first
  if (!HEADER_KEY.test(lines[j] ?? "")) return 0;
  while (j < lines.length && j < i + 10 && HEADER_KEY.test(lines[j]!)) j++;
  return j - i;
}

const nonBlank = (lines: string[]) => lines.filter((l) => l.trim()).length;

function dropQuotes(lines: string[], forwarded: boolean, n: CleaningCounts): string[] {
  const out: string[] = [];
  let forwardPending = forwarded;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (FORWARD_MARKER.test(l.trim())) {
      const h = headerLinesAfter(lines, i + 1);
      n.forward_lines += 1 + nonBlank(lines.slice(i + 1, i + 1 + h));
      i += h;
      forwardPending = false;
      continue;
    }
    const h = replyHeader(lines, i);
    if (h > 0) {
      if (forwardPending) {
        // The forwarded mail's own header: drop it, keep what it introduces.
        const more = headerLinesAfter(lines, i + h);
        n.forward_lines += nonBlank(lines.slice(i, i + h + more));
        i += h + more - 1;
        forwardPending = false;
        continue;
      }
      n.quoted_lines += nonBlank(lines.slice(i));
      break;
    }
    if (/^\s*>/.test(l)) {
      n.quoted_lines++;
      continue;
    }
    out.push(l);
  }
  return out;
}

// ------------------------------------------------------------------------------------ disclaimers

const DISCLAIMER = new RegExp(
  "^\\s*\\**\\s*(?:" +
    [
      "confidentiality notice",
      "confidential(?:ity)?\\s*:",
      "disclaimer\\b",
      "legal notice\\s*:",
      "privileged (?:and|&) confidential",
      "(?:this|the) (?:e-?mail|message|communication|transmission)\\b.{0,80}\\b(?:confidential|privileged|intended (?:solely |only )?for)",
      "the information (?:contained )?in this (?:e-?mail|message|communication|transmission)",
      "if you (?:are not the intended recipient|have received this (?:e-?mail|message|communication) in error)",
      "(?:caution|warning|external(?: e-?mail| sender)?)\\s*:\\s*this (?:e-?mail|message) (?:originated|was sent|came) from outside",
      "\\[external\\](?:\\s*$|\\s+this (?:e-?mail|message))",
      "please consider the environment before printing",
      // German, Spanish, French, Portuguese, Italian, Dutch
      "vertraulichkeitshinweis",
      "haftungsausschluss",
      "diese (?:e-?mail|nachricht)\\b.{0,80}\\bvertraulich",
      "aviso (?:de confidencialidad|legal|de confidencialidade)",
      "(?:este|esta) (?:mensaje|correo|mensagem|e-?mail)\\b.{0,80}\\bconfidencial",
      "(?:ce|le pr[ée]sent) (?:message|courriel|e-?mail)\\b.{0,80}\\bconfidentiel",
      "avertissement\\s*:",
      "avviso di riservatezza",
      "(?:questo|il presente) (?:messaggio|e-?mail)\\b.{0,80}\\briservat",
      "dit (?:e-?mail)?bericht\\b.{0,80}\\bvertrouwelijk",
    ].join("|") +
    ")",
  "i",
);

/** Drops each paragraph (up to the next blank line) that opens like a confidentiality notice or banner. */
function dropDisclaimers(lines: string[], n: CleaningCounts): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!DISCLAIMER.test(lines[i]!)) {
      out.push(lines[i]!);
      continue;
    }
    while (i < lines.length && lines[i]!.trim()) {
      n.disclaimer_lines++;
      i++;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------- logs, stack traces, JSON

const FRAME = [
  /^\s*at\s+.+\((?:.*:\d+(?::\d+)?|Native Method|Unknown Source|<anonymous>)\)\s*$/, // Java, Node, JS
  /^\s*at\s+(?:async\s+)?\S+:\d+(?::\d+)?\s*$/, // Node, anonymous: "at /app/x.js:1:2"
  /^\s*at\s+[\w$.<>`[\],]+\(.*\)(?:\s+in\s+.+:line\s+\d+)?\s*$/, // .NET
  /^\s*File ".+", line \d+/, // Python
  /^\s*\.\.\.\s*\d+\s+(?:more|common frames omitted)\s*$/, // Java
  /^\s*#\d+\s+(?:\S+\(\d+\):\s|\{main\}|\[internal function\])/, // PHP
  /^\s*(?:from\s+)?\S+\.rb:\d+:in\s/, // Ruby
  /^\s+\S+\.go:\d+(?:\s+\+0x[0-9a-f]+)?\s*$/, // Go
];
const TIMESTAMP =
  /^\s*\[?(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?|[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?)\]?/;
const LEVEL = /^\s*[[(]?(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE|PANIC)[\])]?(?=[\s:|-])/;
const EXCEPTION =
  /^\s*(?:Traceback \(most recent call last\):|Exception in thread .+|Caused by: .+|Uncaught .+|Unhandled .+|panic: .+|goroutine \d+ \[.+\]:|(?:PHP )?Fatal error: .+|(?:[\w$]+[.$])*[\w$]*(?:Error|Exception|Throwable|Fault|Failure|Panic|Interrupt|Exit)\b(?::\s?.*)?)$/;
const CONTINUATION = /^\s*(?:Caused by: .+|During handling of the above exception.*|The above exception was the direct cause.*|Traceback \(most recent call last\):)$/;

const isFrame = (l: string) => FRAME.some((re) => re.test(l));
const isLogLine = (l: string) => TIMESTAMP.test(l) || LEVEL.test(l);
const stripLogPrefix = (l: string) =>
  l.replace(TIMESTAMP, "").replace(/^\s*(?:\[[^\]]{0,40}\]\s*)*/, "").replace(LEVEL, "").replace(/^[\s:|-]+/, "").trim();
const MAX_MARKER = 160;
const marker = (line: string) => {
  const t = line.trim().replace(/\s+/g, " ");
  return `[log: ${t.length > MAX_MARKER ? `${t.slice(0, MAX_MARKER - 1)}…` : t}]`;
};

/** The line that says what went wrong: the exception (Python's comes last), else the first error log line. */
function distinctiveLine(block: string[]): string {
  const exceptions = block.filter((l) => EXCEPTION.test(l) && !/^\s*(?:Traceback|goroutine|Caused by)/.test(l));
  if (exceptions.length) return block.some((l) => /^\s*Traceback/.test(l)) ? exceptions.at(-1)! : exceptions[0]!;
  const error = block.find((l) => /\b(?:ERROR|ERR|FATAL|CRITICAL|CRIT|SEVERE|PANIC|Exception|Error)\b/.test(l));
  const caused = block.find((l) => /^\s*Caused by/.test(l));
  return stripLogPrefix(error ?? caused ?? block.find((l) => !isFrame(l)) ?? block[0]!) || block[0]!.trim();
}

const JSON_KEYS = ["error", "message", "errormessage", "error_description", "detail", "reason", "title", "description", "msg", "code", "status", "type"];

/** "key: value" of the most telling primitive field in a parsed JSON value (breadth first, shallow). */
function jsonSummary(v: unknown): string | undefined {
  const found = new Map<string, string>();
  let level: unknown[] = [v];
  for (let depth = 0; depth < 4 && level.length; depth++) {
    const next: unknown[] = [];
    for (const x of level) {
      if (Array.isArray(x)) next.push(...x.slice(0, 5));
      else if (x && typeof x === "object")
        for (const [k, val] of Object.entries(x)) {
          if (val && typeof val === "object") next.push(val);
          else if (val !== null && !found.has(k.toLowerCase())) found.set(k.toLowerCase(), `${k}: ${String(val)}`);
        }
    }
    level = next;
  }
  for (const k of JSON_KEYS) if (found.has(k)) return found.get(k);
  return undefined;
}

/** End (exclusive) of a JSON value opening at line i: brackets balanced outside strings; else the paragraph's end. */
function jsonEnd(lines: string[], i: number): number {
  let depth = 0;
  let inString = false;
  for (let j = i; j < lines.length && j < i + 2000; j++) {
    const l = lines[j]!;
    for (let k = 0; k < l.length; k++) {
      const c = l[k];
      if (inString) {
        if (c === "\\") k++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") depth--;
    }
    if (depth <= 0) return j + 1;
  }
  let j = i;
  while (j < lines.length && lines[j]!.trim()) j++;
  return j;
}

function collapseLogs(lines: string[], n: CleaningCounts): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    const t = l.trim();
    // JSON: a bracket-opened value with a quoted key, at least 5 lines or 200 characters.
    if (/^[{[]/.test(t) && !/^\[log:/.test(t)) {
      const end = jsonEnd(lines, i);
      const blob = lines.slice(i, end).join("\n");
      if (/"[^"\n]{1,100}"\s*:/.test(blob) && (end - i >= 5 || blob.length >= 200)) {
        let summary: string | undefined;
        try {
          summary = jsonSummary(JSON.parse(blob));
        } catch {
          const m = blob.match(/"((?:error|message|detail|reason|msg)\w*)"\s*:\s*("[^"\n]*"|[^,}\n]+)/i);
          if (m) summary = `${m[1]}: ${m[2]!.replace(/^"|"$/g, "")}`;
        }
        out.push(marker(summary ?? lines.slice(i, end).find((x) => /[\p{L}\p{N}]/u.test(x)) ?? t));
        n.log_lines += end - i;
        n.log_blocks++;
        i = end;
        continue;
      }
    }
    if (!isFrame(l) && !isLogLine(l) && !/^\s*(?:Traceback \(most recent call last\):|goroutine \d+ \[)/.test(l)) {
      out.push(l);
      i++;
      continue;
    }
    let j = i;
    let python = false;
    while (j < lines.length) {
      const x = lines[j]!;
      if (isFrame(x) || isLogLine(x) || CONTINUATION.test(x) || /^\s*goroutine \d+ \[/.test(x)) {
        python ||= /^\s*File ".+", line \d+/.test(x);
        j++;
      } else if (python && /^\s{2,}\S/.test(x) && /^\s*File "/.test(lines[j - 1]!)) j++; // Python's source line
      else if (EXCEPTION.test(x) && j > i && isFrame(lines[j - 1]!) && j + 1 < lines.length && (isFrame(lines[j + 1]!) || CONTINUATION.test(lines[j + 1]!))) j++; // chained
      else break;
    }
    // The exception line after Python's frames, and the one before Java's / Node's.
    if (j < lines.length && EXCEPTION.test(lines[j]!) && python) j++;
    const block = lines.slice(i, j);
    const prev = out.at(-1);
    if (prev !== undefined && prev.trim() && EXCEPTION.test(prev) && !isLogLine(lines[i]!)) block.unshift(out.pop()!);
    const frames = block.filter(isFrame).length;
    if (block.length >= 3 && (frames >= 2 || block.filter(isLogLine).length >= 3)) {
      out.push(marker(distinctiveLine(block)));
      n.log_lines += block.length;
      n.log_blocks++;
    } else out.push(...block);
    i = j;
  }
  return out;
}

// --------------------------------------------------------------------------------------- signatures

const SENT_FROM =
  /^\s*(?:sent from (?:my )?\S.{0,40}|sent via \S.{0,40}|get outlook for \S.{0,30}|enviado desde mi \S.{0,40}|enviado (?:do|de) meu \S.{0,40}|von meinem \S.{0,40} gesendet|gesendet von (?:meinem )?\S.{0,40}|envoy[ée] de (?:mon|mon appareil) \S.{0,40}|envoy[ée] depuis \S.{0,40}|inviato da(?:l mio)? \S.{0,40}|verzonden (?:vanaf|met) (?:mijn )?\S.{0,40})$/i;
const CLOSING = new RegExp(
  "^\\s*(?:" +
    [
      "(?:best|kind|warm|warmest|many|with kind|with best)\\s+(?:regards|wishes|thanks)",
      "regards|best|cheers|sincerely|yours(?: truly| sincerely| faithfully)?|sincerely yours|respectfully|all the best|take care",
      "thanks(?: (?:a lot|again|in advance|so much))?|thank you(?: (?:very much|in advance|so much))?|many thanks|thx|ty",
      "mit freundlichen gr(?:ü|ue)(?:ß|ss)en|freundliche gr(?:ü|ue)(?:ß|ss)e|(?:viele|beste|liebe|herzliche) gr(?:ü|ue)(?:ß|ss)e|gru(?:ß|ss)|lg|mfg|vg|danke(?: sch(?:ö|oe)n)?|vielen dank",
      "saludos(?: cordiales)?|un saludo(?: cordial)?|atentamente|cordialmente|(?:muchas )?gracias",
      "(?:bien )?cordialement|bien (?:à|a) vous|merci(?: beaucoup| d'avance)?|salutations(?: distingu[ée]es)?",
      "atenciosamente|abra(?:ç|c)os|obrigad[oa]|cumprimentos|att\\.?",
      "cordiali saluti|distinti saluti|saluti|grazie(?: mille)?",
      "met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groeten|groet|bedankt|dank je(?: wel)?|dank u(?: wel)?",
    ].join("|") +
    ")[\\s,.!]*$",
  "i",
);
const NAME_BLOCK_LINES = 8;
const NAME_BLOCK_WIDTH = 80;

/** Cuts from "-- " or from a closing followed by at most a short name block; drops "Sent from my …" lines. */
function dropSignature(lines: string[], n: CleaningCounts): string[] {
  const kept = lines.filter((l) => {
    if (!SENT_FROM.test(l)) return true;
    n.signature_lines++;
    return false;
  });
  for (let i = 0; i < kept.length; i++) {
    const l = kept[i]!;
    const tail = kept.slice(i + 1).filter((x) => x.trim());
    const delimiter = /^--\s?$/.test(l) && i > 0;
    const closing =
      CLOSING.test(l) &&
      tail.length <= NAME_BLOCK_LINES &&
      tail.every((x) => x.trim().length <= NAME_BLOCK_WIDTH && !x.trim().startsWith("[log:"));
    if (delimiter || closing) {
      n.signature_lines += 1 + tail.length;
      return kept.slice(0, i);
    }
  }
  return kept;
}

// ------------------------------------------------------------------------------------------ the whole

const HSPACE = /[\t\f\v \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/g;
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/g;

/** Each line trimmed and its spaces collapsed; at most one blank line in a row; none at either end. */
function tidy(lines: string[]): string {
  const out: string[] = [];
  for (const raw of lines) {
    const l = raw.replace(ZERO_WIDTH, "").replace(HSPACE, " ").trim();
    if (l || (out.length && out.at(-1) !== "")) out.push(l);
  }
  while (out.at(-1) === "") out.pop();
  return out.join("\n");
}

const splitLines = (s: string) => s.replace(/\r\n?|\u2028|\u2029/g, "\n").split("\n");

export function cleanSubject(subject: string): string {
  return tidy([decodeEntities(subject, emptyCounts()).replace(SUBJECT_PREFIX, "")]).replace(/\n/g, " ");
}

export function cleanBody(body: string, opts: { forwarded?: boolean } = {}): { body: string; removed: CleaningCounts; fallback: boolean } {
  const n = emptyCounts();
  let lines = splitLines(htmlToText(body, n));
  lines = dropQuotes(lines, opts.forwarded ?? false, n);
  lines = dropDisclaimers(lines, n);
  lines = collapseLogs(lines, n);
  lines = dropSignature(lines, n);
  let cleaned = tidy(lines);
  let fallback = false;
  if (!cleaned && body.trim()) {
    // Everything looked like quotes or signature: better the whole mail than nothing.
    fallback = true;
    cleaned = tidy(splitLines(htmlToText(body, emptyCounts()))) || tidy(splitLines(body));
  }
  return { body: cleaned, removed: n, fallback };
}

/** The text the model, the baseline and dedup read: subject (without Re:/Fwd:) and the cleaned body. */
export function cleanTicketText(subject: string, body: string): CleanedText {
  const s = cleanSubject(subject);
  const b = cleanBody(body, { forwarded: FORWARD_SUBJECT.test(subject) });
  const text = s && b.body ? `${s} ${b.body}` : s || b.body || `${subject} ${body}`.trim();
  return { text, removed: b.removed, fallback: b.fallback };
}
