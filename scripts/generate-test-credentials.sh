#!/usr/bin/env bash
# Creates the TLS and token-auth material the mock APNs server and the tests use,
# and writes it as a TypeScript module (src/testing/test-credentials.generated.ts)
# so that `dist/` carries it without copying files around.
#
# Everything here is throwaway test material made by this project: a test CA, a
# server certificate for localhost/127.0.0.1/::1, a client certificate (plain,
# passphrase-protected and PKCS#12), an ES256 signing key (.p8), an untrusted CA
# with its own server certificate, a client certificate that expired long ago,
# and client certificates marked for the sandbox only, for production only
# (also as PKCS#12) and for both, with Apple's environment OIDs.
# Certificates are valid for ~100 years so the committed output never goes stale.
#
# Usage: scripts/generate-test-credentials.sh   (from anywhere; needs openssl 3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/src/testing/test-credentials.generated.ts"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

DAYS=36500
CLIENT_PASSPHRASE='mock-apns-client-passphrase'
PFX_PASSPHRASE='mock-apns-pfx-passphrase'

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# --- test CA ------------------------------------------------------------------
ec_key ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$DAYS" -subj '/CN=nest-apns test CA' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
  -out ca.crt

# --- server certificate (signed by the test CA) -------------------------------
ec_key server.key
openssl req -new -key server.key -subj '/CN=localhost' -out server.csr
cat > server.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EOF
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$DAYS" \
  -extfile server.ext -out server.crt 2>/dev/null

# --- client certificate (signed by the test CA) -------------------------------
ec_key client.key
openssl req -new -key client.key -subj '/CN=nest-apns test client/UID=com.example.app' -out client.csr
cat > client.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
EOF
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$DAYS" \
  -extfile client.ext -out client.crt 2>/dev/null
openssl pkcs8 -topk8 -in client.key -v2 aes-256-cbc -passout "pass:$CLIENT_PASSPHRASE" -out client.enc.key
openssl pkcs12 -export -inkey client.key -in client.crt -certfile ca.crt -name 'nest-apns test client' \
  -passout "pass:$PFX_PASSPHRASE" -out client.p12

# --- client certificates marked for one environment, and for both -------------
# Apple's provider certificates name their environment in extensions:
# 1.2.840.113635.100.6.3.1 development (sandbox), 1.2.840.113635.100.6.3.2
# production, both in a "Sandbox & Production" certificate (apns-protocol.md
# 1.1). The values here are ASN.1 NULL; only the presence of an OID counts.
env_client() { # name, subject CN, extension lines
  ec_key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2/UID=com.example.app" -out "$1.csr"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$DAYS" \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
SANDBOX_OID='1.2.840.113635.100.6.3.1'
PRODUCTION_OID='1.2.840.113635.100.6.3.2'
env_client sandbox-client 'nest-apns sandbox-only client' "$SANDBOX_OID=ASN1:NULL"
env_client production-client 'nest-apns production-only client' "$PRODUCTION_OID=ASN1:NULL"
env_client universal-client 'nest-apns sandbox and production client' "$SANDBOX_OID=ASN1:NULL
$PRODUCTION_OID=ASN1:NULL"
openssl pkcs12 -export -inkey production-client.key -in production-client.crt -certfile ca.crt -name 'nest-apns production-only client' \
  -passout "pass:$PFX_PASSPHRASE" -out production-client.p12

# --- expired client certificate (same CA, validity entirely in the past) -----
# `openssl ca` is the only openssl 3.0 tool that takes explicit start/end dates.
ec_key expired.key
openssl req -new -key expired.key -subj '/CN=nest-apns expired client' -out expired.csr
mkdir -p ca-db && : > ca-db/index.txt && echo 1000 > ca-db/serial
cat > ca.cnf <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $WORK/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $WORK/ca.crt
private_key = $WORK/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ client_ext ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
EOF
openssl ca -batch -config ca.cnf -extensions client_ext -in expired.csr -out expired.crt \
  -startdate 20000101000000Z -enddate 20010101000000Z -notext 2>/dev/null

# --- untrusted CA and a server certificate it signed --------------------------
ec_key untrusted-ca.key
openssl req -x509 -new -key untrusted-ca.key -sha256 -days "$DAYS" -subj '/CN=nest-apns UNTRUSTED CA' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' \
  -out untrusted-ca.crt
ec_key untrusted-server.key
openssl req -new -key untrusted-server.key -subj '/CN=localhost' -out untrusted-server.csr
openssl x509 -req -in untrusted-server.csr -CA untrusted-ca.crt -CAkey untrusted-ca.key -CAcreateserial \
  -sha256 -days "$DAYS" -extfile server.ext -out untrusted-server.crt 2>/dev/null

# --- ES256 provider-token signing key (.p8 = PKCS#8 PEM) ----------------------
ec_key signing.p8
openssl pkey -in signing.p8 -pubout -out signing.pub 2>/dev/null

# --- the TypeScript module ----------------------------------------------------
pem() { printf '  %s: `%s`,\n' "$1" "$(cat "$2")"; }
{
  echo '// GENERATED by scripts/generate-test-credentials.sh: do not edit; run the script again.'
  echo '// Throwaway test credentials made by this project. Never use them outside tests.'
  echo ''
  echo 'export const generatedCredentials = {'
  pem ca ca.crt
  pem serverCert server.crt
  pem serverKey server.key
  pem clientCert client.crt
  pem clientKey client.key
  pem clientKeyEncrypted client.enc.key
  printf "  clientKeyPassphrase: '%s',\n" "$CLIENT_PASSPHRASE"
  printf "  clientPfxBase64: '%s',\n" "$(base64 -w0 client.p12)"
  printf "  clientPfxPassphrase: '%s',\n" "$PFX_PASSPHRASE"
  pem signingKey signing.p8
  pem signingPublicKey signing.pub
  printf "  keyId: 'ABC123DEFG',\n"
  printf "  teamId: 'DEF123GHIJ',\n"
  pem untrustedCa untrusted-ca.crt
  pem untrustedServerCert untrusted-server.crt
  pem untrustedServerKey untrusted-server.key
  pem expiredClientCert expired.crt
  pem expiredClientKey expired.key
  pem sandboxClientCert sandbox-client.crt
  pem sandboxClientKey sandbox-client.key
  pem productionClientCert production-client.crt
  pem productionClientKey production-client.key
  printf "  productionClientPfxBase64: '%s',\n" "$(base64 -w0 production-client.p12)"
  pem universalClientCert universal-client.crt
  pem universalClientKey universal-client.key
  echo '} as const;'
} > "$OUT"
echo "wrote $OUT"
