# Licensed under the Apache License, Version 2.0.
#
# Sourced by scripts/relay-test: makes the test PKI for TLS to origins with
# the openssl command, fresh for each run, in one directory:
#
#   ca.pem ca.key            "Relay Test CA", the root every test trusts
#   other-ca.pem             a CA that signed nothing the origins send
#   inter.pem                an intermediate CA under the root
#   good.pem/.key            DNS localhost, origin.relay.test, *.wild.relay.test
#   expired.pem/.key         DNS localhost, expired yesterday
#   wrong.pem/.key           DNS wrong.relay.test only
#   ipsan.pem/.key           IP 127.0.0.1 and ::1 only
#   chain.pem/.key           DNS localhost, issued by inter (file: leaf+inter)
#   revoked.pem/.key         DNS localhost, revoked in crl.pem
#   client.pem               the proxy's client certificate and key
#   other-client.pem         a client certificate from other-ca
#   crl.pem                  the root's CRL (revoked.pem listed)
#   capath/ crlpath/         hashed directories (openssl rehash) of ca.pem
#                            and crl.pem
#   clientpath/              client.pem alone, for ...MachineCertificatePath
#
#   relay_make_test_pki DIR   (returns non-zero when openssl fails)

relay_make_test_pki() {
    local dir=$1
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    (
        set -e
        cd "$dir"
        key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                    -out "$1" 2>/dev/null; }
        ca() {  # ca NAME CN
            key "$1.key"
            openssl req -x509 -new -key "$1.key" -out "$1.pem" -subj "/CN=$2" \
                -days 30 -addext basicConstraints=critical,CA:true \
                -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
        }
        # leaf NAME ISSUER SERIAL DAYS EXT...: a certificate signed by ISSUER
        leaf() {
            local name=$1 issuer=$2 serial=$3 days=$4
            shift 4
            key "$name.key"
            openssl req -new -key "$name.key" -out "$name.csr" \
                -subj "/CN=$name.relay.test" 2>/dev/null
            printf '%s\n' "$@" >"$name.ext"
            openssl x509 -req -in "$name.csr" -CA "$issuer.pem" \
                -CAkey "$issuer.key" -set_serial "$serial" -days "$days" \
                -extfile "$name.ext" -out "$name.pem" 2>/dev/null
            rm -f "$name.csr" "$name.ext"
        }
        local server='extendedKeyUsage=serverAuth'
        ca ca "Relay Test CA"
        ca other-ca "Relay Other CA"
        leaf inter ca 2 30 basicConstraints=critical,CA:true \
            keyUsage=critical,keyCertSign,cRLSign
        leaf good ca 10 30 "$server" \
            'subjectAltName=DNS:localhost,DNS:origin.relay.test,DNS:*.wild.relay.test'
        leaf expired ca 11 -1 "$server" subjectAltName=DNS:localhost
        leaf wrong ca 12 30 "$server" subjectAltName=DNS:wrong.relay.test
        leaf ipsan ca 13 30 "$server" subjectAltName=IP:127.0.0.1,IP:::1
        leaf chain inter 14 30 "$server" subjectAltName=DNS:localhost
        cat inter.pem >>chain.pem
        leaf revoked ca 15 30 "$server" subjectAltName=DNS:localhost
        leaf client ca 20 30 extendedKeyUsage=clientAuth
        cat client.key >>client.pem
        leaf other-client other-ca 21 30 extendedKeyUsage=clientAuth
        cat other-client.key >>other-client.pem

        # The root's CRL, listing revoked.pem (serial 15 = 0x0F).
        mkdir -p crl-db
        printf 'R\t301001010000Z\t%s\t0F\tunknown\t/CN=revoked.relay.test\n' \
            "$(date -u +%y%m%d%H%M%SZ)" >crl-db/index.txt
        printf '01\n' >crl-db/crlnumber
        cat >crl-db/ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
database = $dir/crl-db/index.txt
crlnumber = $dir/crl-db/crlnumber
default_md = sha256
default_crl_days = 30
CNF
        openssl ca -gencrl -config crl-db/ca.cnf -keyfile ca.key -cert ca.pem \
            -out crl.pem 2>/dev/null

        mkdir capath crlpath clientpath
        cp ca.pem capath/ && openssl rehash capath 2>/dev/null
        cp crl.pem crlpath/ && openssl rehash crlpath 2>/dev/null
        cp client.pem clientpath/
        # httpd's children read the client keys as nobody.
        chmod -R a+rX "$dir"
    )
}
