import QRCode from 'qrcode';

/** The exact JSON string a tablet scans on first boot. */
export const qrPayload = (apiUrl: string, storeCode: string, authToken: string) =>
  JSON.stringify({ api_url: apiUrl, store_code: storeCode, auth_token: authToken });

/**
 * A PNG of the payload, large enough to scan from a tablet camera off a laptop screen: error correction M,
 * a 4-module quiet zone, 8 px per module (a ~500-character token gives a QR of version ~17, about 680 px).
 */
export async function qrPng(payload: string): Promise<Buffer> {
  return QRCode.toBuffer(payload, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 8 });
}
