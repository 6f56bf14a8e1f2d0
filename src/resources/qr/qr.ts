import * as z from 'zod/mini';
import { toRefusalError } from '../../core/http/api-errors.js';
import type { RequestOptions } from '../../core/http/transport.js';
import { QR_TRANSACTION_CODES, type QrTransactionCode, STK_MAX_AMOUNT } from '../../core/limits.js';
import { ApiResource } from '../../core/resource.js';
import { normalizePhoneNumber } from '../../core/utils/phone.js';
import {
  digitsField,
  oneOf,
  requireParams,
  textField,
  wholeNumber,
  wholeShillings,
} from '../../core/utils/validate.js';

/** Input of {@link Qr.generate}. */
export interface QrGenerateParams {
  /** The name shown to the customer, e.g. `TEST SUPERMARKET`. 1 to 100 characters. */
  merchantName: string;
  /** Your reference for the payment (e.g. an invoice number). 1 to 100 characters. */
  refNo: string;
  /** Whole shillings, 1 to 250,000. */
  amount: number;
  /** What the QR pays: `BG`, `WA`, `PB`, `SM` or `SB`. */
  trxCode: QrTransactionCode;
  /** The credit party (`CPI`): till, PayBill or agent number, or a phone number for `SM`. */
  creditPartyIdentifier: string | number;
  /** Width and height of the PNG, in pixels. @defaultValue `300` */
  size?: number;
}

/** The generated QR code. */
export interface QrGenerateResponse {
  /** The QR code as a base64 PNG (use it as `data:image/png;base64,${qrCode}`). */
  qrCode: string;
  /** Daraja's id of the request. */
  requestId: string;
  /** Daraja's `ResponseCode` (it may hold an `AG_…` id rather than `0`). */
  responseCode: string;
  /** e.g. "QR Code Successfully Generated." */
  responseDescription: string;
}

const QrSchema = z.object({
  QRCode: z.optional(z.string()),
  RequestID: z.optional(z.string()),
  ResponseCode: z.optional(z.union([z.string(), z.number()])),
  ResponseDescription: z.optional(z.string()),
});

/** Dynamic QR codes customers scan with the M-Pesa app. Use it as `daraja.qr`. */
export class Qr extends ApiResource {
  /**
   * Generate a dynamic M-Pesa QR code (`POST /mpesa/qrcode/v1/generate`). Generating a code moves no
   * money, so the call is retried like a query.
   *
   * @param params - Merchant name, reference, amount, transaction code and credit party.
   * @param options - Per-call timeout and abort signal.
   * @returns The QR code as a base64 PNG.
   * @throws {@link DarajaValidationError}, {@link DarajaApiError} (also when a 2xx carries no QR code),
   * {@link DarajaNetworkError} after the retries.
   *
   * @example
   * ```ts
   * const { qrCode } = await daraja.qr.generate({
   *   merchantName: 'TEST SUPERMARKET', refNo: 'Invoice Test', amount: 1, trxCode: 'BG', creditPartyIdentifier: '373132',
   * });
   * ```
   */
  async generate(params: QrGenerateParams, options: RequestOptions = {}): Promise<QrGenerateResponse> {
    const body = qrBody(
      requireParams(params, '{ merchantName, refNo, amount, trxCode, creditPartyIdentifier }'),
    );
    const spec = {
      operation: 'qr.generate',
      product: 'Dynamic QR',
      path: '/mpesa/qrcode/v1/generate',
      body,
      moneyMoving: false,
    };
    const response = await this.post(spec, options);
    const data = QrSchema.safeParse(response.body).data;
    const responseCode = data?.ResponseCode === undefined ? undefined : String(data.ResponseCode);
    if (!data?.QRCode) {
      const errorMessage = data?.ResponseDescription ?? 'Daraja answered without a QRCode.';
      const fields = { requestId: data?.RequestID, errorCode: responseCode, errorMessage };
      const kept = typeof response.body === 'string' ? response.body.slice(0, 2048) : response.body;
      throw toRefusalError(spec.operation, response.status, fields, kept);
    }
    return {
      qrCode: data.QRCode,
      requestId: data.RequestID ?? '',
      responseCode: responseCode ?? '',
      responseDescription: data.ResponseDescription ?? '',
    };
  }
}

/** Validate the parameters of a QR code and build the request body. */
function qrBody(p: QrGenerateParams) {
  const trxCode = oneOf('trxCode', p.trxCode, QR_TRANSACTION_CODES);
  const size = wholeNumber(
    'size',
    p.size ?? 300,
    50,
    2000,
    'must be a whole number of pixels from 50 to 2000, e.g. 300.',
  );
  return {
    MerchantName: textField('merchantName', p.merchantName, 1, 100),
    RefNo: textField('refNo', p.refNo, 1, 100),
    Amount: wholeShillings('amount', p.amount, STK_MAX_AMOUNT),
    TrxCode: trxCode,
    CPI:
      trxCode === 'SM'
        ? normalizePhoneNumber(p.creditPartyIdentifier, 'creditPartyIdentifier')
        : digitsField(
            'creditPartyIdentifier',
            p.creditPartyIdentifier,
            5,
            8,
            'the till, PayBill or agent number',
          ),
    Size: String(size),
  };
}
