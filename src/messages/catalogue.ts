/** The languages the payer messages are written in: English and Kiswahili. */
export type PayerLocale = 'en' | 'sw';

/** The locales {@link PAYER_MESSAGES} holds, English first (the default). */
export const PAYER_LOCALES: readonly PayerLocale[] = Object.freeze(['en', 'sw'] as const);

/**
 * A message for the person paying: a short title and a sentence or two that say what happened and what
 * to do next. Never a Daraja `ResultDesc`, a result code or a field name.
 */
export interface PayerMessage {
  /** A few words, e.g. "Payment complete". */
  readonly title: string;
  /** What happened and what to do next, e.g. "Thank you. Your M-Pesa receipt is QK12ABC3DE.". */
  readonly text: string;
}

/**
 * The messages about a payment, chosen by {@link payerMessageKey} from its status and result code:
 *
 * - `pending`: the prompt is on its way; enter the M-Pesa PIN.
 * - `confirming`: not final yet (`4999`, an unknown code): "we are still confirming".
 * - `completed`: paid, receipt not known yet (an STK query settled it): "it will arrive by SMS".
 * - `completed-receipt`: paid, with the receipt (`{receipt}` in the text).
 * - `cancelled`: the payer cancelled the prompt (1032).
 * - `unreachable`: the prompt did not reach the phone or was not answered in time (1037, 1036, 1025, 9999).
 * - `expired`: the request expired before it was processed (1019).
 * - `wrong-pin`: a wrong M-Pesa PIN (2001).
 * - `insufficient-funds`: the balance, Fuliza included, is too low (1).
 * - `limit`: outside an M-Pesa limit (2, 3, 4, 8).
 * - `phone-busy`: another M-Pesa session is open on the phone (1001).
 * - `too-soon`: the same amount was asked of the same number within two minutes (17).
 * - `mpesa-busy`: M-Pesa is busy (26).
 * - `failed`: any other failure (including the merchant's own set-up errors, which the payer cannot fix).
 */
export type PaymentMessageKey =
  | 'pending'
  | 'confirming'
  | 'completed'
  | 'completed-receipt'
  | 'cancelled'
  | 'unreachable'
  | 'expired'
  | 'wrong-pin'
  | 'insufficient-funds'
  | 'limit'
  | 'phone-busy'
  | 'too-soon'
  | 'mpesa-busy'
  | 'failed';

/**
 * The messages about what a payment page itself is doing:
 *
 * - `prompt-countdown`: how long the prompt stays open (`{time}` in the text, e.g. `1:25`).
 * - `prompt-closed`: the prompt has closed and no answer is known yet; the page keeps checking.
 * - `stopped-checking`: the page stopped checking without a final answer; offer "check again".
 * - `offline`: the page cannot reach the server; it keeps trying.
 * - `reconnected`: the connection is back.
 * - `invalid-phone`: the number is not a Kenyan M-Pesa number.
 * - `push-unconfirmed`: the server could not confirm the prompt was sent (it may still arrive).
 * - `push-rejected`: M-Pesa refused the request before any prompt was sent.
 * - `rate-limited`: too many attempts; wait before trying again.
 * - `unavailable`: the service cannot take payments right now.
 * - `resumed`: the page found a payment started earlier and is watching it again.
 */
export type PageMessageKey =
  | 'prompt-countdown'
  | 'prompt-closed'
  | 'stopped-checking'
  | 'offline'
  | 'reconnected'
  | 'invalid-phone'
  | 'push-unconfirmed'
  | 'push-rejected'
  | 'rate-limited'
  | 'unavailable'
  | 'resumed';

/** Every message key: about a payment, or about the page. */
export type PayerMessageKey = PaymentMessageKey | PageMessageKey;

/** The messages of one language. */
export type PayerMessageCatalogue = Readonly<Record<PayerMessageKey, PayerMessage>>;

const en: PayerMessageCatalogue = {
  pending: {
    title: 'Check your phone',
    text: 'Enter your M-Pesa PIN on the prompt on your phone to pay.',
  },
  confirming: {
    title: 'We are still confirming your payment',
    text: 'This can take a minute. Please do not pay again.',
  },
  completed: {
    title: 'Payment complete',
    text: 'Thank you. Your M-Pesa receipt will arrive by SMS.',
  },
  'completed-receipt': {
    title: 'Payment complete',
    text: 'Thank you. Your M-Pesa receipt is {receipt}.',
  },
  cancelled: {
    title: 'Payment cancelled',
    text: 'You cancelled the M-Pesa request, so no money was taken. You can try again.',
  },
  unreachable: {
    title: 'We could not reach your phone',
    text: 'The M-Pesa prompt did not reach your phone or was not answered in time. No money was taken. Make sure your phone is on and has network, then try again.',
  },
  expired: {
    title: 'The request expired',
    text: 'The payment request expired before it was completed. No money was taken. Please try again.',
  },
  'wrong-pin': {
    title: 'Wrong M-Pesa PIN',
    text: 'The PIN entered was not correct, so no money was taken. Please try again and enter your M-Pesa PIN carefully.',
  },
  'insufficient-funds': {
    title: 'Not enough money in M-Pesa',
    text: 'Your M-Pesa balance is too low for this payment. Top up your M-Pesa, then try again.',
  },
  limit: {
    title: 'M-Pesa limit reached',
    text: 'M-Pesa did not allow this payment because it is outside your account limits (for example the daily limit). No money was taken. Try again later or use another number.',
  },
  'phone-busy': {
    title: 'Another M-Pesa request is open',
    text: 'Your phone is busy with another M-Pesa request. Finish or close it, wait a moment, then try again.',
  },
  'too-soon': {
    title: 'Please wait two minutes',
    text: 'A payment of the same amount was requested from this number a moment ago. Wait two minutes, then try again.',
  },
  'mpesa-busy': {
    title: 'M-Pesa is busy',
    text: 'M-Pesa is busy right now, so no money was taken. Please try again in a few minutes.',
  },
  failed: {
    title: 'Payment not completed',
    text: 'The payment could not be completed and no money was taken. Please try again later; if it keeps happening, contact us.',
  },
  'prompt-countdown': {
    title: 'Check your phone',
    text: 'Enter your M-Pesa PIN. The prompt stays open for about {time} more.',
  },
  'prompt-closed': {
    title: 'We are still confirming your payment',
    text: 'The prompt on your phone has closed. If you entered your PIN, your payment is safe: we are still checking.',
  },
  'stopped-checking': {
    title: 'We could not confirm your payment yet',
    text: 'If you entered your PIN, your payment is safe and we will keep checking. You can also check again now. Please do not pay again.',
  },
  offline: {
    title: 'No connection',
    text: 'We lost the connection to our server. We will keep trying; check your internet connection.',
  },
  reconnected: {
    title: 'Connected again',
    text: 'The connection is back. Checking your payment…',
  },
  'invalid-phone': {
    title: 'Check the phone number',
    text: 'Enter a Kenyan M-Pesa number such as 0712 345 678.',
  },
  'push-unconfirmed': {
    title: 'Check your phone',
    text: 'We could not confirm that the M-Pesa prompt was sent. If it reaches your phone, enter your PIN; we are checking.',
  },
  'push-rejected': {
    title: 'M-Pesa did not accept the request',
    text: 'No prompt was sent and no money was taken. Check the number and try again.',
  },
  'rate-limited': {
    title: 'Too many attempts',
    text: 'Please wait a minute before trying again.',
  },
  unavailable: {
    title: 'Please try again shortly',
    text: 'We cannot start the payment right now. No money was taken. Please try again in a moment.',
  },
  resumed: {
    title: 'Welcome back',
    text: 'We are checking the payment you started.',
  },
};

const sw: PayerMessageCatalogue = {
  pending: {
    title: 'Angalia simu yako',
    text: 'Weka PIN yako ya M-Pesa kwenye ombi lililo kwenye simu yako ili ulipe.',
  },
  confirming: {
    title: 'Bado tunathibitisha malipo yako',
    text: 'Hii inaweza kuchukua dakika moja. Tafadhali usilipe tena.',
  },
  completed: {
    title: 'Malipo yamekamilika',
    text: 'Asante. Risiti yako ya M-Pesa itafika kwa SMS.',
  },
  'completed-receipt': {
    title: 'Malipo yamekamilika',
    text: 'Asante. Nambari ya risiti yako ya M-Pesa ni {receipt}.',
  },
  cancelled: {
    title: 'Malipo yameghairiwa',
    text: 'Umeghairi ombi la M-Pesa, kwa hivyo hakuna pesa iliyokatwa. Unaweza kujaribu tena.',
  },
  unreachable: {
    title: 'Hatukuweza kufikia simu yako',
    text: 'Ombi la M-Pesa halikufika kwenye simu yako au halikujibiwa kwa wakati. Hakuna pesa iliyokatwa. Hakikisha simu yako imewashwa na ina mtandao, kisha ujaribu tena.',
  },
  expired: {
    title: 'Muda wa ombi umeisha',
    text: 'Muda wa ombi la malipo uliisha kabla ya kukamilika. Hakuna pesa iliyokatwa. Tafadhali jaribu tena.',
  },
  'wrong-pin': {
    title: 'PIN ya M-Pesa si sahihi',
    text: 'PIN iliyowekwa si sahihi, kwa hivyo hakuna pesa iliyokatwa. Tafadhali jaribu tena na uweke PIN yako ya M-Pesa kwa makini.',
  },
  'insufficient-funds': {
    title: 'Salio la M-Pesa halitoshi',
    text: 'Salio lako la M-Pesa halitoshi kwa malipo haya. Ongeza pesa kwenye M-Pesa yako, kisha ujaribu tena.',
  },
  limit: {
    title: 'Kikomo cha M-Pesa kimefikiwa',
    text: 'M-Pesa haikuruhusu malipo haya kwa sababu hayako ndani ya vikomo vya akaunti yako (kwa mfano kikomo cha siku). Hakuna pesa iliyokatwa. Jaribu tena baadaye au tumia nambari nyingine.',
  },
  'phone-busy': {
    title: 'Kuna ombi lingine la M-Pesa',
    text: 'Simu yako inashughulikia ombi lingine la M-Pesa. Limalize au ulifunge, subiri kidogo, kisha ujaribu tena.',
  },
  'too-soon': {
    title: 'Tafadhali subiri dakika mbili',
    text: 'Malipo ya kiasi hiki hiki yameombwa kutoka kwa nambari hii muda mfupi uliopita. Subiri dakika mbili, kisha ujaribu tena.',
  },
  'mpesa-busy': {
    title: 'M-Pesa ina shughuli nyingi',
    text: 'M-Pesa ina shughuli nyingi kwa sasa, kwa hivyo hakuna pesa iliyokatwa. Tafadhali jaribu tena baada ya dakika chache.',
  },
  failed: {
    title: 'Malipo hayakukamilika',
    text: 'Malipo hayakuweza kukamilika na hakuna pesa iliyokatwa. Tafadhali jaribu tena baadaye; tatizo likiendelea, wasiliana nasi.',
  },
  'prompt-countdown': {
    title: 'Angalia simu yako',
    text: 'Weka PIN yako ya M-Pesa. Ombi litabaki wazi kwa takriban {time} zaidi.',
  },
  'prompt-closed': {
    title: 'Bado tunathibitisha malipo yako',
    text: 'Ombi kwenye simu yako limefungwa. Ikiwa uliweka PIN yako, malipo yako ni salama: bado tunaangalia.',
  },
  'stopped-checking': {
    title: 'Bado hatujathibitisha malipo yako',
    text: 'Ikiwa uliweka PIN yako, malipo yako ni salama na tutaendelea kuangalia. Unaweza pia kuangalia tena sasa. Tafadhali usilipe tena.',
  },
  offline: {
    title: 'Hakuna mtandao',
    text: 'Muunganisho na seva yetu umekatika. Tutaendelea kujaribu; hakikisha intaneti yako inafanya kazi.',
  },
  reconnected: {
    title: 'Umeunganishwa tena',
    text: 'Muunganisho umerudi. Tunaangalia malipo yako…',
  },
  'invalid-phone': {
    title: 'Angalia nambari ya simu',
    text: 'Weka nambari ya M-Pesa ya Kenya, kwa mfano 0712 345 678.',
  },
  'push-unconfirmed': {
    title: 'Angalia simu yako',
    text: 'Hatukuweza kuthibitisha kwamba ombi la M-Pesa lilitumwa. Likifika kwenye simu yako, weka PIN yako; tunaangalia.',
  },
  'push-rejected': {
    title: 'M-Pesa haikukubali ombi',
    text: 'Hakuna ombi lililotumwa na hakuna pesa iliyokatwa. Angalia nambari kisha ujaribu tena.',
  },
  'rate-limited': {
    title: 'Majaribio mengi mno',
    text: 'Tafadhali subiri dakika moja kabla ya kujaribu tena.',
  },
  unavailable: {
    title: 'Tafadhali jaribu tena baadaye kidogo',
    text: 'Hatuwezi kuanzisha malipo kwa sasa. Hakuna pesa iliyokatwa. Tafadhali jaribu tena baada ya muda mfupi.',
  },
  resumed: {
    title: 'Karibu tena',
    text: 'Tunaangalia malipo uliyoanzisha.',
  },
};

/**
 * Every payer message, by locale and key. Texts may hold a placeholder that {@link payerMessage} and
 * {@link pageMessage} fill in: `{receipt}` (the M-Pesa receipt number) and `{time}` (e.g. `1:25`).
 * A web page can embed this table (it is plain JSON) and fill the placeholders itself.
 */
export const PAYER_MESSAGES: Readonly<Record<PayerLocale, PayerMessageCatalogue>> = Object.freeze({
  en: Object.freeze(en),
  sw: Object.freeze(sw),
});
