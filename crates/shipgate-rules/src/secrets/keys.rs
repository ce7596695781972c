//! Private keys and signed tokens: key blocks in every encoding a
//! repository holds them in (a PEM file, a YAML block scalar, a JSON string
//! with `\n` escapes, base64 in a kubeconfig), and JSON Web Tokens.

use super::{Capture, Reach, Shape, Spec, filters, secret_rule};

/// A JSON Web Token whose header names a signing algorithm. Unsigned
/// tokens prove nothing, and the `anon` keys of hosted backends are public
/// by design.
fn signed_jwt(capture: &Capture<'_>) -> bool {
    let mut parts = capture.secret.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Some(header) = filters::base64_decode(header) else {
        return false;
    };
    let header = String::from_utf8_lossy(&header).replace(' ', "");
    if !header.contains("\"alg\"") || header.contains("\"alg\":\"none\"") {
        return false;
    }
    let payload = filters::base64_decode(payload).unwrap_or_default();
    let payload = String::from_utf8_lossy(&payload).replace(' ', "");
    !payload.contains("\"role\":\"anon\"")
}

/// base64 that decodes to a private key block.
fn encoded_private_key(capture: &Capture<'_>) -> bool {
    filters::base64_decode(capture.secret).is_some_and(|decoded| {
        decoded
            .windows(b"PRIVATE KEY".len())
            .any(|w| w == b"PRIVATE KEY")
    })
}

pub(super) const SPECS: &[Spec] = &[
    secret_rule! {
        id: "secrets/private-key",
        title: "No private key is committed",
        what: "a private key",
        grants: "A private key in PEM form (RSA, EC, DSA, PKCS #8, encrypted or not) is the \
            identity of whatever trusts its public half: a TLS server, an SSH login, a \
            signing service, a cloud service account. Keys are found in `.pem` files, \
            indented in YAML and escaped in JSON strings alike.",
        rotate: "replace the key pair (reissue the certificate, remove the public key from \
            every `authorized_keys` and trust store) and revoke the old certificate",
        references: [
            "https://www.rfc-editor.org/rfc/rfc7468",
            "https://docs.github.com/en/code-security/secret-scanning/introduction/supported-secret-scanning-patterns",
        ],
        aliases: ["private-key"],
        failing: ("tls.key", "-----BEGIN RSA PRIVATE KEY-----\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\n-----END RSA PRIVATE KEY-----\n"),
        passing: ("tls.crt", "-----BEGIN CERTIFICATE-----\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\n-----END CERTIFICATE-----\n"),
        detect: {
            keywords: &["private key-----"],
            pattern: r"-----BEGIN (?:RSA |DSA |EC |ENCRYPTED |SSH2 ENCRYPTED )?PRIVATE KEY-----(?P<secret>[A-Za-z0-9+/=\s\\:,.-]{64,}?)-----END [A-Z0-9 ]{0,20}PRIVATE KEY-----",
            reach: Reach::File,
            shape: Shape::Key,
            min_len: 64,
            min_entropy: 4.5,
            priority: 90,
        },
    },
    secret_rule! {
        id: "secrets/openssh-private-key",
        title: "No OpenSSH private key is committed",
        what: "an OpenSSH private key",
        grants: "An OpenSSH private key logs in wherever its public key is authorised: \
            servers, Git hosts, deploy targets; unencrypted ones need nothing more.",
        rotate: "generate a new key pair, replace the public key in every `authorized_keys`, \
            Git host and deploy setting, and remove the old one",
        references: ["https://man.openbsd.org/ssh-keygen"],
        aliases: ["private-key"],
        failing: ("deploy/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\n-----END OPENSSH PRIVATE KEY-----\n"),
        passing: ("deploy/id_ed25519.pub", "ssh-ed25519 ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 deploy@ci\n"),
        detect: {
            keywords: &["openssh private key"],
            pattern: r"-----BEGIN OPENSSH PRIVATE KEY-----(?P<secret>[A-Za-z0-9+/=\s\\]{64,}?)-----END OPENSSH PRIVATE KEY-----",
            reach: Reach::File,
            shape: Shape::Key,
            min_len: 64,
            min_entropy: 4.5,
            priority: 92,
        },
    },
    secret_rule! {
        id: "secrets/pgp-private-key",
        title: "No PGP private key block is committed",
        what: "a PGP private key",
        grants: "A PGP private key block signs commits, releases and packages, and decrypts \
            what was encrypted to it, in its owner's name.",
        rotate: "revoke the key (publish its revocation certificate to the keyservers and \
            every place that trusts it), then create and distribute a new one",
        references: ["https://www.rfc-editor.org/rfc/rfc9580#name-forming-ascii-armor"],
        aliases: ["private-key"],
        failing: ("signing.asc", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\n=ABCD\n-----END PGP PRIVATE KEY BLOCK-----\n"),
        passing: ("signing.asc", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\n-----END PGP PUBLIC KEY BLOCK-----\n"),
        detect: {
            keywords: &["pgp private key block"],
            pattern: r"-----BEGIN PGP PRIVATE KEY BLOCK-----(?P<secret>(?s:.){64,}?)-----END PGP PRIVATE KEY BLOCK-----",
            reach: Reach::File,
            shape: Shape::Key,
            min_len: 64,
            min_entropy: 4.5,
            priority: 92,
        },
    },
    secret_rule! {
        id: "secrets/putty-private-key",
        title: "No PuTTY private key is committed",
        what: "a PuTTY private key",
        grants: "A PuTTY key file (`.ppk`) holds an SSH private key: it logs in wherever its \
            public key is authorised.",
        rotate: "generate a new key pair with PuTTYgen, replace the public key on every \
            server and remove the old one",
        references: ["https://the.earth.li/~sgtatham/putty/0.81/htmldoc/AppendixC.html"],
        aliases: [],
        failing: ("admin.ppk", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: admin\nPublic-Lines: 2\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\nABCDEFGH\nPrivate-Lines: 1\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\nPrivate-MAC: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"),
        passing: ("admin.pub", "---- BEGIN SSH2 PUBLIC KEY ----\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\n---- END SSH2 PUBLIC KEY ----\n"),
        detect: {
            keywords: &["putty-user-key-file-"],
            pattern: r"PuTTY-User-Key-File-[23]:[^\n]*\n(?s:.){0,4096}?Private-Lines: [0-9]+\r?\n(?P<secret>(?:[A-Za-z0-9+/=]+\r?\n)+)",
            reach: Reach::File,
            shape: Shape::Key,
            min_len: 32,
            min_entropy: 4.5,
            priority: 92,
        },
    },
    secret_rule! {
        id: "secrets/gcp-service-account-key",
        title: "No Google Cloud service account key is committed",
        what: "a Google Cloud service account key",
        grants: "A service account key file (`\"type\": \"service_account\"` with its \
            `private_key`) authenticates as the service account, with every role it holds, \
            until the key is deleted; keys never expire by default.",
        rotate: "delete the key under IAM → Service accounts → Keys (or `gcloud iam \
            service-accounts keys delete`), and prefer workload identity federation to keys",
        references: ["https://cloud.google.com/iam/docs/keys-create-delete"],
        aliases: ["gcp-service-account"],
        failing: ("sa.json", "{\n  \"type\": \"service_account\",\n  \"project_id\": \"shop\",\n  \"private_key_id\": \"0123456789abcdef0123456789abcdef01234567\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\\nABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/\\n-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"ci@shop.iam.gserviceaccount.com\"\n}\n"),
        passing: ("sa.json", "{\n  \"type\": \"external_account\",\n  \"audience\": \"//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/github\"\n}\n"),
        detect: {
            keywords: &["service_account"],
            pattern: r#""private_key"\s*:\s*"-----BEGIN PRIVATE KEY-----(?P<secret>[A-Za-z0-9+/=\\]{64,}?)-----END PRIVATE KEY-----"#,
            reach: Reach::File,
            shape: Shape::Key,
            min_len: 64,
            min_entropy: 4.5,
            priority: 95,
        },
    },
    secret_rule! {
        id: "secrets/kubeconfig-client-key",
        title: "No kubeconfig client key is committed",
        what: "a kubeconfig client key",
        grants: "The `client-key-data` of a kubeconfig is the user's private key in base64: \
            with the certificate beside it, it authenticates to the cluster as that user, \
            often `cluster-admin`, until the certificate expires, and certificates cannot \
            be revoked.",
        rotate: "rotate the cluster's client CA or remove the user's RBAC bindings (a client \
            certificate cannot be revoked), then hand out short-lived credentials",
        references: ["https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/"],
        aliases: [],
        failing: ("kubeconfig.yaml", "users:\n- name: admin\n  user:\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OSsvCkFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXowMTIzNDU2Nzg5Ky8KLS0tLS1FTkQgUlNBIFBSSVZBVEUgS0VZLS0tLS0K\n"),
        passing: ("kubeconfig.yaml", "users:\n- name: admin\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws\n      args: [eks, get-token, --cluster-name, shop]\n"),
        detect: {
            keywords: &["client-key-data"],
            pattern: r#"client-key-data["']?\s*:\s*["']?(?P<secret>[A-Za-z0-9+/]{64,}={0,2})"#,
            min_entropy: 4.5,
            validate: Some(encoded_private_key),
        },
    },
    secret_rule! {
        id: "secrets/jwt",
        title: "No signed JSON Web Token is committed",
        what: "a JSON Web Token",
        grants: "A signed JWT is a bearer credential: whoever presents it is the subject it \
            names, with its claims, until it expires, and service-account and API tokens \
            often never do.",
        rotate: "revoke it where the issuer allows (or rotate the signing key, which revokes \
            every token it signed), and issue short-lived tokens at run time",
        references: ["https://www.rfc-editor.org/rfc/rfc7519"],
        aliases: ["jwt-token"],
        failing: ("client.http", "GET https://api.example.org/orders\nAuthorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTIzNDU2Nzg5YWJjZGVmIn0.0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n"),
        passing: ("client.http", "GET https://api.example.org/orders\nAuthorization: Bearer {{token}}\n"),
        detect: {
            keywords: &["eyj"],
            pattern: r"\b(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})",
            min_entropy: 4.0,
            priority: 75,
            validate: Some(signed_jwt),
        },
    },
    secret_rule! {
        id: "secrets/age-secret-key",
        title: "No age secret key is committed",
        what: "an age secret key",
        grants: "An age secret key (`AGE-SECRET-KEY-1…`) decrypts every file encrypted to its \
            recipient, such as the SOPS-encrypted secrets of the same repository.",
        rotate: "generate a new identity with `age-keygen`, re-encrypt every file to the new \
            recipient (`sops updatekeys`), and rotate what those files held",
        references: ["https://github.com/C2SP/C2SP/blob/main/age.md"],
        aliases: ["age-secret-key"],
        failing: ("keys.txt", "# created: 2026-01-01T00:00:00Z\nAGE-SECRET-KEY-1ACDEFGHJKLMNPQRSTUVWXYZ023456789ACDEFGHJKLMNPQRSTUVWXYZ023\n"),
        passing: ("keys.txt", "# public key: age1acdefghjklmnpqrstuvwxyz023456789acdefghjklmnpqrstuvwxyz0\n"),
        detect: {
            keywords: &["age-secret-key-1"],
            pattern: r"\b(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/wireguard-private-key",
        title: "No WireGuard private key is committed",
        what: "a WireGuard private key",
        grants: "A WireGuard interface's `PrivateKey` lets anyone join the tunnel as that \
            peer, inside the network it protects.",
        rotate: "generate a new key pair with `wg genkey`, replace the peer's public key on \
            every other peer, and remove the old one",
        references: ["https://www.wireguard.com/quickstart/"],
        aliases: [],
        failing: ("wg0.conf", "[Interface]\nAddress = 10.0.0.2/32\nPrivateKey = ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopA=\n"),
        passing: ("wg0.conf", "[Interface]\nAddress = 10.0.0.2/32\nPostUp = wg set %i private-key /etc/wireguard/private.key\n"),
        detect: {
            keywords: &["privatekey"],
            pattern: r"(?i:PrivateKey)\s*=\s*(?P<secret>[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)",
            min_entropy: 4.0,
        },
    },
];
