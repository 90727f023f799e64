import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { TokenVerifier } from './token-verifier.js';

describe('TokenVerifier claim rules', () => {
  let privateKey: CryptoKey;
  let verifier: TokenVerifier;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    privateKey = pair.privateKey;
    verifier = await TokenVerifier.create({
      issuer: 'iss',
      audience: 'aud',
      algorithms: ['EdDSA'],
      clockToleranceSeconds: 30,
      key: { jwk: { ...(await exportJWK(pair.publicKey)), alg: 'EdDSA' } },
    });
  });

  /** Signs exactly the given claims (no defaults besides iss/aud/exp), so odd values reach the verifier. */
  const sign = (claims: JWTPayload) =>
    new SignJWT({ iss: 'iss', aud: 'aud', exp: now() + 600, scope: 'registry:read', ...claims }).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);

  const refusal = async (claims: JWTPayload) => {
    try {
      await verifier.verify(await sign(claims));
    } catch (err) {
      return err as { code: string; kind: string; message: string };
    }
    throw new Error(`accepted ${JSON.stringify(claims)}`);
  };

  test('a well-formed token gives the subject and scopes, unknown scopes kept but inert', async () => {
    const actor = await verifier.verify(await sign({ sub: 'alice', iat: now(), scope: 'openid registry:read' }));
    expect(actor).toMatchObject({ sub: 'alice', scopes: ['openid', 'registry:read'] });
  });

  test.each([
    ['empty sub', { sub: '' }, "'sub' must not be empty"],
    ['blank sub', { sub: '   ' }, "'sub' must not be empty"],
    ['numeric sub', { sub: 123 as unknown as string }, "'sub'"],
    ['sub with a control character', { sub: 'ali\u0000ce' }, "'sub' must be at most"],
    ['sub of 257 characters', { sub: 'a'.repeat(257) }, "'sub' must be at most"],
    ['iat beyond the leeway', { sub: 'alice', iat: now() + 120 }, "'iat' is in the future"],
    ['non-numeric iat', { sub: 'alice', iat: 'yesterday' as unknown as number }, "'iat'"],
  ])('%s is refused as 401 TOKEN_INVALID', async (_name, claims, message) => {
    const err = await refusal(claims);
    expect(err).toMatchObject({ code: 'TOKEN_INVALID', kind: 'unauthorized' });
    expect(err.message).toContain(message);
  });

  test('iat a little ahead, within the leeway, is accepted (clocks drift)', async () => {
    expect((await verifier.verify(await sign({ sub: 'alice', iat: now() + 10 }))).sub).toBe('alice');
  });
});
