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

describe('TokenVerifier claim cache', () => {
  let privateKey: CryptoKey;
  let verifier: TokenVerifier;
  let clockMs = Date.UTC(2030, 0, 1);
  const seconds = () => Math.floor(clockMs / 1000);

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    privateKey = pair.privateKey;
    verifier = await TokenVerifier.create({
      issuer: 'iss',
      audience: 'aud',
      algorithms: ['EdDSA'],
      clockToleranceSeconds: 0,
      cacheSize: 2,
      now: () => clockMs,
      key: { jwk: { ...(await exportJWK(pair.publicKey)), alg: 'EdDSA' } },
    });
  });

  const sign = (sub: string, exp: number) =>
    new SignJWT({ iss: 'iss', aud: 'aud', sub, exp, scope: 'registry:read' }).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);

  test('a token verified once is served from the cache until its exp, then refused as expired', async () => {
    const token = await sign('alice', seconds() + 60);
    expect((await verifier.verify(token)).sub).toBe('alice');
    expect(verifier.cachedTokens).toBe(1);
    clockMs += 59_000;
    expect((await verifier.verify(token)).sub).toBe('alice');
    clockMs += 1_000; // now == exp
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED', kind: 'unauthorized' });
  });

  test('the cache is bounded: the least recently used token is dropped, not all of them', async () => {
    const [t1, t2, t3] = await Promise.all(['a', 'b', 'c'].map((s) => sign(s, seconds() + 600)));
    await verifier.verify(t1);
    await verifier.verify(t2);
    await verifier.verify(t1); // t1 is now the most recently used
    await verifier.verify(t3); // evicts t2
    expect(verifier.cachedTokens).toBe(2);
    // A token signed by another key with the same claims never hits the cache entry of a real one.
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({ iss: 'iss', aud: 'aud', sub: 'a', exp: seconds() + 600, scope: 'registry:read' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(other.privateKey);
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});
