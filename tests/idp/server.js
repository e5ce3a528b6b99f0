// A local OpenID provider for the test suite: node's oidc-provider (OpenID certified), started
// by tests/sso/idp.py on a free local port. Development interactions: the login form takes any
// login; the login IS the e-mail address the ID token carries. Conventions of the test users:
//   - a login starting with "unverified" has email_verified false;
//   - a login "name+role-<role>@host" carries <role> in the claim named by IDP_ROLE_CLAIM
//     (the staff sign-in reads it); the e-mail is still the whole login.
// Environment: IDP_PORT, IDP_CLIENTS (JSON list of {client_id, client_secret, redirect_uris}),
// IDP_JWKS (JSON {keys: [private JWK]}: the tests know the signing key, to craft tokens),
// IDP_ROLE_CLAIM (default "ilp_role"). Prints "READY <issuer>" once it listens.
import Provider from 'oidc-provider';

const port = Number(process.env.IDP_PORT || 0);
const issuer = `http://127.0.0.1:${port}`;
const roleClaim = process.env.IDP_ROLE_CLAIM || 'ilp_role';
const clients = JSON.parse(process.env.IDP_CLIENTS || '[]').map((c) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...c,
}));

function claimsOf(login) {
  const email = String(login).trim().toLowerCase();
  const role = /\+role-([a-z_]+)@/.exec(email);
  const claims = { sub: email, email, email_verified: !email.startsWith('unverified') };
  if (role) claims[roleClaim] = role[1];
  return claims;
}

const configuration = {
  clients,
  jwks: process.env.IDP_JWKS ? JSON.parse(process.env.IDP_JWKS) : undefined,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: [roleClaim] },
  scopes: ['openid', 'email', 'profile'],
  conformIdTokenClaims: false, // the e-mail claims go into the ID token itself
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return claimsOf(id); } };
  },
  // First-party test clients: no consent screen (the recipe of oidc-provider's docs).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', roleClaim]);
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`READY ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
