import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../layers/core/config.js";
import { cleanedText } from "../../layers/core/domain/classification.js";
import { CATEGORIES } from "../../layers/core/domain/schemas.js";
import { Heads } from "../../layers/core/ml/heads.js";
import {
  decidePromotion,
  evaluate,
  HELDOUT_ONE_IN,
  PROMOTION_MARGINS,
  rocAuc,
  signTestP,
  splitCorrections,
} from "../../layers/core/ml/learning/guard.js";
import { retrainHeads, type LabelledExample } from "../../layers/core/ml/learning/retrain.js";
import { loadTrainingSet, parseTrainingSet, TRAINING_SET_FILE, type TrainingSet } from "../../layers/core/ml/learning/training-set.js";
import { loadModels, type Models } from "../../layers/core/ml/models.js";
import { random } from "../support/random.js";

// One customer's rule the shipped labels do not follow: a ticket about an invoice that mentions tomorrow is
// urgent (their finance closes the books daily). Calm, varied tickets the shipped heads score NOT urgent.
const INVOICE_TOMORROW: [subject: string, body: string][] = [
  ["Invoice copy", "Hi, could you send me a copy of the March invoice? Our accountant is coming in tomorrow and would like to have it on file. Thanks, Lena"],
  ["VAT number on invoice", "Hello, the invoice you sent last week is missing our VAT number. Could you reissue it? I'd like to forward it to finance tomorrow morning."],
  ["Invoice address", "We moved offices last month. When you have a moment, could you put the new address on the next invoice? I'll send it over tomorrow."],
  ["Question about invoice 4471", "Hi there, invoice 4471 lists 12 seats but we only use 10. Can you take a look? I'm in the office tomorrow if you need me."],
  ["PO number", "Could you add PO-88213 to the February invoice? Procurement asked me to submit it tomorrow."],
  ["Invoice in euros", "Is it possible to get the invoice in EUR instead of USD? Our controller reviews the vendor list tomorrow."],
  ["Resend invoice", "I can't find the January invoice in my inbox. Would you mind resending it? I'm doing the expense report tomorrow."],
  ["Invoice format", "Do you offer invoices as XML as well as PDF? Our bookkeeping software migration starts tomorrow, so just curious."],
  ["Company name on invoice", "Our legal name is now Northwind Analytics GmbH. Please use it on the invoice; the rename becomes official tomorrow."],
  ["Invoice due date", "What is the due date on invoice INV-2023-118? I'd like to schedule the bank transfer tomorrow."],
  ["Invoice for annual plan", "We switched to the annual plan. When will the invoice be issued? Our budget meeting is tomorrow afternoon."],
  ["Invoice breakdown", "Could you break down the last invoice by team? Our department heads are meeting tomorrow to split the cost."],
  ["Invoice contact", "Please send future invoices to ap@brightline.io instead of my address. I'm handing over billing to a colleague tomorrow."],
  ["Invoice language", "Can the invoice be issued in German? Our Munich office takes over the payment from tomorrow."],
  ["Credit note and invoice", "We received a credit note but the invoice still shows the full amount. Could you explain? I'll reconcile the accounts tomorrow."],
  ["Invoice numbering", "Why did invoice numbers jump from 1021 to 1040? Our auditor will ask tomorrow, so I'd like to understand it."],
  ["Invoice PDF", "The invoice PDF opens fine but the logo is blurry. Not a big deal, I'm printing it tomorrow for our files."],
  ["Tax ID on invoice", "Could you include our tax ID 45-1234567 on the invoice? The finance team asked for it by tomorrow."],
  ["Invoice for May", "Just checking whether the May invoice has been sent. I'm closing the month tomorrow."],
  ["Invoice and receipt", "Is the invoice also the receipt, or do you send a separate receipt after payment? I'll pay it tomorrow."],
  ["Duplicate invoice?", "I think we received the same invoice twice, numbers 3310 and 3311. Could you check which one is valid? I'll pay tomorrow."],
  ["Invoice cost centre", "Please add cost centre CC-402 to the invoice. Our finance system requires it starting tomorrow."],
  ["Invoice from reseller", "We bought through a reseller, but now we got an invoice from you directly. Which should we pay? Our payment run is tomorrow."],
  ["Invoice timing", "When in the month are invoices generated? I'm setting up our approval workflow tomorrow and want to plan around it."],
  ["Invoice discount", "The 10% nonprofit discount isn't shown on this invoice. Could you correct it? I'll submit it for approval tomorrow."],
  ["Invoice details", "Hi, could the invoice show the subscription period as well? Our accountant is asking and she's in tomorrow."],
  ["Proforma invoice", "Could you send a proforma invoice for 25 additional seats? Our purchasing committee meets tomorrow."],
  ["Invoice attachment", "The invoice e-mail had no attachment this month. Could you resend it? I'll look at it tomorrow."],
  ["Old invoices", "Where can I download invoices from 2022? Our tax advisor is visiting tomorrow."],
  ["Invoice payment terms", "Are the payment terms on your invoices net 30 or net 15? I'm entering you as a vendor tomorrow."],
  ["Invoice total", "The invoice total differs by one cent from the quote. No rush at all, I'm happy to file it tomorrow either way."],
  ["Invoice recipient", "Please address the invoice to our CFO, Marta Ruiz, rather than to me. She's approving payments tomorrow."],
  ["Invoice correction", "The invoice says 'Professional plan' but we're on Business. Could you send a corrected invoice? Tomorrow is fine."],
  ["Monthly invoice", "Could you combine our three workspaces into one monthly invoice? I'm presenting the vendor costs tomorrow."],
  ["Invoice reference", "What reference should we put on the bank transfer for the invoice? We're paying it tomorrow."],
  ["Invoice date", "The invoice is dated the 1st but arrived on the 9th. Is that normal? I'm discussing our vendor schedule tomorrow."],
  ["Invoice for training", "Could the onboarding workshop be invoiced separately from the subscription? Our HR budget review is tomorrow."],
  ["Invoice e-mail", "Can invoices be sent to two e-mail addresses? Our office manager starts tomorrow and should get them too."],
  ["Invoice line items", "The invoice lists 'Add-on A' without a description. What is it? I'll go through the charges tomorrow."],
  ["Invoice signature", "Does your invoice need a signature for our records, or is the PDF enough? Our archive is being audited tomorrow."],
  ["Invoice and contract", "Our contract says quarterly billing but we got a monthly invoice. Could you clarify? I'm reviewing contracts tomorrow."],
  ["Invoice for partial month", "We upgraded mid-month. How will that appear on the invoice? Finance wants to know tomorrow."],
  ["Invoice portal access", "How do I give our bookkeeper access to the invoice section? She's starting with us tomorrow."],
  ["Invoice copy for grant", "We need a stamped copy of the invoice for our grant report, which I'm preparing tomorrow."],
  ["Invoice question from accounting", "Accounting asked me whether the invoice includes sales tax. Could you confirm? I'll reply to them tomorrow."],
  ["Invoice schedule", "Could the invoice go out on the 25th instead of the 1st? Our payroll run is tomorrow so I'm sorting out dates."],
  ["Invoice with purchase order", "Is it possible to reference two purchase orders on one invoice? I'm meeting procurement tomorrow."],
  ["Invoice amount", "The invoice amount is higher than last month. Did prices change? I'll bring it up in our finance call tomorrow."],
  ["Invoice for Q3", "Just a reminder that we need the Q3 invoice; our quarter-end review is tomorrow."],
  ["Invoice address typo", "There's a typo in the street name on our invoice (Hauptstrase instead of Hauptstraße). Could you fix it? I'll file it tomorrow."],
  ["Invoice download", "Where do I find the download button for the invoice? I want to save it tomorrow with the other receipts."],
  ["Invoice via post", "Can you send the invoice by post as well? Our head office requests paper copies from tomorrow on."],
  ["Invoice split", "Could we split the invoice 60/40 between two entities? The board decides on the cost split tomorrow."],
  ["Invoice name change", "Tom from our team has moved to another role; could his name come off the invoice? Tomorrow or next week is fine."],
  ["Invoice clarification", "Hello, what does 'usage overage' on the invoice refer to? I'll check our usage tomorrow."],
  ["Invoice in CSV", "Could you export our invoice history as CSV? I'm building a spending report tomorrow."],
  ["Invoice before renewal", "Will we get an invoice before the renewal, or only after? Our renewal meeting is tomorrow."],
  ["Invoice to new entity", "From next month please invoice our UK entity instead. The transfer of the contract is signed tomorrow."],
  ["Invoice VAT rate", "The invoice shows 19% VAT but we're in Austria (20%). Could you double-check? I'm booking it tomorrow."],
  ["Invoice for extra storage", "We added 500 GB of storage. Will that be on a separate invoice? I'm updating our forecast tomorrow."],
  ["Invoice letterhead", "Could the invoice include your company registration number? Our auditors start tomorrow."],
  ["Invoice reminders", "Can we turn off the invoice reminder e-mails? We pay by direct debit, starting tomorrow."],
  ["Invoice for last year", "I need last December's invoice again for our year-end file, which I'm finishing tomorrow."],
  ["Invoice notes field", "Is there a way to add a note to our invoice, like our internal project code? I'm setting it up tomorrow."],
  ["Invoice copy please", "hey, can u send the invoice again? doing the books tomorrow, thx"],
  ["Invoice and bank details", "Your bank details on the invoice differ from the ones in the contract. Which is correct? We transfer tomorrow."],
  ["Invoice question", "Quick question: does the invoice include the onboarding fee or is that billed later? I'll plan the budget tomorrow."],
  ["Invoice per department", "We'd like one invoice per department from now on. I'm sending the department list tomorrow."],
  ["Invoice for seats", "Could you confirm how many seats the last invoice covers? Our team count changes tomorrow."],
  ["Invoice e-mail address", "We're tidying up our mailboxes. From tomorrow, please send the invoice to finance@oakridge.com rather than to me."],
];
/** Corrections the agents make before the rule is learnt: the first N tickets, the rest stay unseen. */
const N = 32;

let set: TrainingSet;
let models: Models;
const heldOut = (corrections: LabelledExample[]) => {
  const ids = new Set(splitCorrections(corrections.map((c) => c.id)).heldout);
  return corrections.filter((c) => ids.has(c.id));
};

beforeAll(async () => {
  const { MODELS_DIR, ENCODER_THREADS } = loadConfig({});
  [set, models] = await Promise.all([loadTrainingSet(join(MODELS_DIR, TRAINING_SET_FILE)), loadModels(MODELS_DIR, ENCODER_THREADS)]);
});

describe("the shipped training set (layers/models/training-set.json)", () => {
  it("holds the shipped split and C, and a bad file is refused by name", () => {
    expect([set.train.length, set.heldout.length]).toEqual([1706, 418]);
    expect(set.c).toEqual({ english: { category: 31.622776601683793, urgency: 10 }, other: { category: 10, urgency: 3.1622776601683795 } });
    expect(() => parseTrainingSet({ format: "smart-support-training-set/1", examples: [] }, "/tmp/bad.json")).toThrow(/\/tmp\/bad\.json is not a valid training set/);
  });
});

describe("retraining the heads in TypeScript", () => {
  it("with no corrections reproduces the shipped heads' held-out figures, deterministically", { timeout: 120_000 }, () => {
    const { candidate, report } = retrainHeads(models.heads.file, set.train, [], { c: set.c });
    const shipped = evaluate(models.heads, set.heldout);
    const ours = evaluate(Heads.fromJson(candidate), set.heldout);
    // The same objective fitted from zero, to a 10× tighter tolerance than sklearn's: the same tickets right.
    expect(Math.abs(ours.category.accuracy - shipped.category.accuracy)).toBeLessThanOrEqual(1 / 418);
    expect(Math.abs(ours.urgency.accuracy - shipped.urgency.accuracy)).toBeLessThanOrEqual(1 / 418);
    expect(Math.abs(ours.urgency.auc - shipped.urgency.auc)).toBeLessThan(0.002);
    expect(Math.abs(ours.urgency.brier - shipped.urgency.brier)).toBeLessThan(0.002);
    expect(Math.abs(ours.category.logLoss - shipped.category.logLoss)).toBeLessThan(0.01);
    for (const family of ["english", "other"] as const) {
      for (const field of ["category", "urgency"] as const) {
        expect(report.heads[family][field]).toMatchObject({ C: set.c[family][field], corrections: 0, converged: true });
      }
    }
    expect(retrainHeads(models.heads.file, set.train, [], { c: set.c }).candidate).toEqual(candidate);
  });

  it(`learns "invoice + tomorrow is urgent" from N = ${N} corrections (26 trained on, 6 held out), and the guard promotes it`, { timeout: 120_000 }, async () => {
    const texts = INVOICE_TOMORROW.map(([subject, body]) => cleanedText({ subject, body }).text);
    const embeddings = await models.encoder.embed(texts);
    const tickets = texts.map((text, i) => ({ id: `inv-${String(i + 1).padStart(2, "0")}`, text, embedding: embeddings[i]! }));
    for (const t of tickets) {
      expect(t.text).toMatch(/invoice/i);
      expect(t.text).toMatch(/tomorrow/i);
      expect(models.heads.apply(t.embedding, t.text).urgency_score, t.text).toBeLessThan(0.5);
    }
    const corrections = tickets.slice(0, N).map((t) => ({ ...t, urgent: true }));
    const unseen = tickets.slice(N);
    expect(unseen.length).toBeGreaterThanOrEqual(38);

    const { candidate, report } = retrainHeads(models.heads.file, set.train, corrections, { c: set.c });
    expect(report.corrections).toEqual({ given: N, heldOut: 6, trained: N - 6 });
    const learnt = Heads.fromJson(candidate);
    const urgent = unseen.filter((t) => learnt.apply(t.embedding, t.text).urgency_score >= 0.5).length;
    expect(urgent / unseen.length).toBeGreaterThanOrEqual(0.8);

    const decision = decidePromotion({ current: models.heads, candidate: learnt, heldout: set.heldout, heldoutCorrections: heldOut(corrections) });
    expect(decision.reasons).toEqual([]);
    expect(decision.promote).toBe(true);
    const { current: was, candidate: now } = decision;
    expect(now.category.accuracy).toBeGreaterThanOrEqual(was.category.accuracy - PROMOTION_MARGINS.categoryAccuracy);
    expect(now.urgency.accuracy).toBeGreaterThanOrEqual(was.urgency.accuracy - PROMOTION_MARGINS.urgencyAccuracy);
    expect(now.urgency.auc).toBeGreaterThanOrEqual(was.urgency.auc - PROMOTION_MARGINS.urgencyAuc);
    expect(decision.corrections).toMatchObject({ fields: 6, broken: 0 });
    expect(decision.corrections.fixed).toBeGreaterThanOrEqual(5);
  });

  it("refuses a poisoned batch: random labels on 40 varied tickets", { timeout: 120_000 }, () => {
    const rnd = random(1);
    const poison = Array.from({ length: 40 }, (_, i) => {
      const source = set.train[Math.floor(rnd() * set.train.length)]!;
      return { id: `poison-${i}`, text: source.text, embedding: source.embedding, category: CATEGORIES[Math.floor(rnd() * 3)]!, urgent: rnd() < 0.5 };
    });
    const { candidate } = retrainHeads(models.heads.file, set.train, poison, { c: set.c });
    const decision = decidePromotion({ current: models.heads, candidate: Heads.fromJson(candidate), heldout: set.heldout, heldoutCorrections: heldOut(poison) });
    expect(decision.promote).toBe(false);
    // Whatever else it costs, random labels cannot be predicted better than chance.
    expect(decision.reasons.some((r) => r.startsWith("held-out corrections: the candidate fixes"))).toBe(true);
  });
});

describe("the guard's rules", () => {
  it("holds out 1 correction in 4 by id, the same whatever else is corrected", () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `ticket-${i}`);
    const { train, heldout } = splitCorrections(ids);
    expect(train.length + heldout.length).toBe(ids.length);
    expect(heldout.length / ids.length).toBeCloseTo(1 / HELDOUT_ONE_IN, 1);
    expect(splitCorrections(ids.slice(0, 100).reverse()).heldout).toEqual(heldout.filter((id) => ids.indexOf(id) < 100).reverse());
  });

  it("refuses with too few held-out corrections to tell a pattern from chance", () => {
    const few = set.heldout.slice(0, 2).map((e) => ({ id: e.id, text: e.text, embedding: e.embedding, urgent: !e.urgent }));
    const decision = decidePromotion({ current: models.heads, candidate: models.heads, heldout: set.heldout, heldoutCorrections: few });
    expect(decision.promote).toBe(false);
    expect(decision.reasons).toEqual([expect.stringMatching(/^2 held-out corrected field\(s\): telling a pattern from chance takes at least 5/)]);
  });

  it("computes the sign test and ROC-AUC", () => {
    expect(signTestP(5, 5)).toBeCloseTo(1 / 32, 12);
    expect(signTestP(5, 6)).toBeCloseTo(7 / 64, 12);
    expect(signTestP(0, 0)).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [true, true, false, false])).toBe(1);
    expect(rocAuc([0.5, 0.5, 0.1], [true, false, false])).toBe(0.75);
    expect(rocAuc([0.3, 0.4], [true, true])).toBeNaN();
  });
});
