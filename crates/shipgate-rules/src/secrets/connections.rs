//! Passwords inside connection strings and authentication headers:
//! database and broker URLs, ADO.NET and JDBC strings, JAAS
//! configuration, `.netrc`, and `Authorization` headers pasted into
//! scripts.

use super::platforms::basic_credentials;
use super::{Shape, Spec, secret_rule};

/// Passwords are short and chosen by people: any literal that is not a
/// placeholder, a reference or the user's name again is a finding.
const PASSWORD_ENTROPY: f32 = 1.5;

pub(super) const SPECS: &[Spec] = &[
    secret_rule! {
        id: "secrets/postgres-connection-string",
        title: "No PostgreSQL connection URL carries a password",
        what: "a PostgreSQL password",
        grants: "A `postgres://user:password@host/db` URL is a working login to the database, \
            usually with read and write access to every table the application uses.",
        rotate: "change the role's password (`ALTER ROLE … PASSWORD`), update its consumers \
            from a secret store, and review the connection logs",
        references: ["https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS"],
        aliases: [],
        failing: (".env", "DATABASE_URL=postgres://orders:0123456789abcdef@db.internal:5432/orders\n"),
        passing: (".env", "DATABASE_URL=postgres://orders:${DB_PASSWORD}@db.internal:5432/orders\n"),
        detect: {
            keywords: &["postgres"],
            pattern: r#"(?i)\bpostgres(?:ql)?(?:\+[a-z0-9]+)?://(?P<user>[^:@/\s"'<>]*):(?P<secret>[^@/\s"'<>]+)@[^\s"'<>/]"#,
            shape: Shape::Password,
            min_len: 3,
            min_entropy: PASSWORD_ENTROPY,
            priority: 50,
        },
    },
    secret_rule! {
        id: "secrets/mysql-connection-string",
        title: "No MySQL or MariaDB connection URL carries a password",
        what: "a MySQL password",
        grants: "A `mysql://user:password@host/db` URL is a working login to the database \
            with the user's grants.",
        rotate: "change the user's password (`ALTER USER … IDENTIFIED BY`), update its \
            consumers from a secret store, and review the access logs",
        references: ["https://dev.mysql.com/doc/refman/8.4/en/connecting-using-uri-or-key-value-pairs.html"],
        aliases: [],
        failing: ("settings.py", "DATABASE_URL = \"mysql://shop:0123456789abcdef@mysql.internal:3306/shop\"\n"),
        passing: ("settings.py", "DATABASE_URL = os.environ[\"DATABASE_URL\"]\n"),
        detect: {
            keywords: &["mysql", "mariadb"],
            pattern: r#"(?i)\b(?:mysql|mariadb)(?:x|2)?(?:\+[a-z0-9]+)?://(?P<user>[^:@/\s"'<>]*):(?P<secret>[^@/\s"'<>]+)@[^\s"'<>/]"#,
            shape: Shape::Password,
            min_len: 3,
            min_entropy: PASSWORD_ENTROPY,
            priority: 50,
        },
    },
    secret_rule! {
        id: "secrets/mongodb-connection-string",
        title: "No MongoDB connection string carries a password",
        what: "a MongoDB password",
        grants: "A `mongodb://` or `mongodb+srv://` URL with a password is a working login to \
            the cluster with the user's roles, often on every database.",
        rotate: "change the database user's password (Atlas: Database Access; self-hosted: \
            `db.changeUserPassword`), and update its consumers from a secret store",
        references: ["https://www.mongodb.com/docs/manual/reference/connection-string/"],
        aliases: [],
        failing: ("config.yaml", "mongo:\n  uri: mongodb+srv://shop:0123456789abcdef@cluster0.abcde.mongodb.net/shop?retryWrites=true\n"),
        passing: ("config.yaml", "mongo:\n  uri: mongodb+srv://cluster0.abcde.mongodb.net/shop?authMechanism=MONGODB-AWS\n"),
        detect: {
            keywords: &["mongodb"],
            pattern: r#"(?i)\bmongodb(?:\+srv)?://(?P<user>[^:@/\s"'<>]*):(?P<secret>[^@/\s"'<>]+)@[^\s"'<>/]"#,
            shape: Shape::Password,
            min_len: 3,
            min_entropy: PASSWORD_ENTROPY,
            priority: 50,
        },
    },
    secret_rule! {
        id: "secrets/redis-connection-string",
        title: "No Redis connection URL carries a password",
        what: "a Redis password",
        grants: "A `redis://:password@host` URL opens the Redis server with its ACL user, \
            which usually reads and writes every key: sessions, queues, caches.",
        rotate: "change the password (`ACL SETUSER` or `requirepass`) and update its \
            consumers from a secret store",
        references: ["https://www.iana.org/assignments/uri-schemes/prov/redis"],
        aliases: [],
        failing: ("docker-compose.yml", "services:\n  worker:\n    image: shop/worker:1.4.2\n    environment:\n      REDIS_URL: redis://:0123456789abcdef@redis:6379/0\n"),
        passing: ("docker-compose.yml", "services:\n  worker:\n    image: shop/worker:1.4.2\n    environment:\n      REDIS_URL: redis://:${REDIS_PASSWORD}@redis:6379/0\n"),
        detect: {
            keywords: &["redis"],
            pattern: r#"(?i)\brediss?://(?P<user>[^:@/\s"'<>]*):(?P<secret>[^@/\s"'<>]+)@[^\s"'<>/]"#,
            shape: Shape::Password,
            min_len: 3,
            min_entropy: PASSWORD_ENTROPY,
            priority: 50,
        },
    },
    secret_rule! {
        id: "secrets/amqp-connection-string",
        title: "No AMQP (RabbitMQ) connection URL carries a password",
        what: "an AMQP password",
        grants: "An `amqp://user:password@host/vhost` URL publishes and consumes on the \
            broker's virtual host with the user's permissions.",
        rotate: "change the user's password (`rabbitmqctl change_password`) and update its \
            consumers from a secret store",
        references: ["https://www.rabbitmq.com/docs/uri-spec"],
        aliases: [],
        failing: (".env", "BROKER_URL=amqps://orders:0123456789abcdef@mq.internal:5671/shop\n"),
        passing: (".env", "BROKER_URL=amqps://orders:${BROKER_PASSWORD}@mq.internal:5671/shop\n"),
        detect: {
            keywords: &["amqp"],
            pattern: r#"(?i)\bamqps?://(?P<user>[^:@/\s"'<>]*):(?P<secret>[^@/\s"'<>]+)@[^\s"'<>/]"#,
            shape: Shape::Password,
            min_len: 3,
            min_entropy: PASSWORD_ENTROPY,
            priority: 50,
        },
    },
    secret_rule! {
        id: "secrets/sqlserver-connection-string",
        title: "No SQL Server connection string carries a password",
        what: "a SQL Server password",
        grants: "An ADO.NET connection string with `Password=` (`Server=…;User ID=…;Password=…`) \
            is a working login to the SQL Server or Azure SQL database.",
        rotate: "change the login's password (`ALTER LOGIN … WITH PASSWORD`), and prefer \
            Entra ID authentication or managed identities",
        references: ["https://learn.microsoft.com/en-us/dotnet/api/system.data.sqlclient.sqlconnection.connectionstring"],
        aliases: [],
        failing: ("appsettings.json", "{\"ConnectionStrings\": {\"Shop\": \"Server=tcp:shop.database.windows.net,1433;Initial Catalog=shop;User ID=shop;Password=0123456789abcdef;Encrypt=True\"}}\n"),
        passing: ("appsettings.json", "{\"ConnectionStrings\": {\"Shop\": \"Server=tcp:shop.database.windows.net,1433;Initial Catalog=shop;Authentication=Active Directory Default;Encrypt=True\"}}\n"),
        detect: {
            keywords: &["server=", "data source="],
            pattern: r#"(?i)\b(?:server|data source)\s*=[^;"'\n]+;[^"'\n]*?\b(?:password|pwd)\s*=\s*(?P<secret>[^;"'\n]+)"#,
            shape: Shape::Password,
            min_len: 3,
            min_entropy: PASSWORD_ENTROPY,
            priority: 50,
        },
    },
    secret_rule! {
        id: "secrets/jdbc-connection-string",
        title: "No JDBC URL carries a password",
        what: "a JDBC password",
        grants: "A JDBC URL with a `password=` property is a working login to the database \
            it names.",
        rotate: "change the database user's password and pass it to the driver from a \
            secret store, not in the URL",
        references: ["https://docs.oracle.com/javase/tutorial/jdbc/basics/connecting.html"],
        aliases: [],
        failing: ("application.properties", "spring.datasource.url=jdbc:postgresql://db.internal:5432/shop?user=shop&password=0123456789abcdef\n"),
        passing: ("application.properties", "spring.datasource.url=jdbc:postgresql://db.internal:5432/shop\nspring.datasource.password=${DB_PASSWORD}\n"),
        detect: {
            keywords: &["jdbc:"],
            pattern: r#"(?i)\bjdbc:[a-z0-9]+:[^\s"'<>]*?[?;&]password=(?P<secret>[^&;\s"'<>]+)"#,
            shape: Shape::Password,
            min_len: 3,
            min_entropy: PASSWORD_ENTROPY,
            priority: 50,
        },
    },
    secret_rule! {
        id: "secrets/url-password",
        title: "No URL carries a password in its user information",
        what: "a password in a URL",
        grants: "A URL written `scheme://user:password@host` (HTTP basic auth, FTP, SMTP, LDAP, \
            a Git remote with a token) hands its credential to anyone who reads it, and \
            to every log and proxy it passes.",
        rotate: "change the password or revoke the token at the service it logs in to, and \
            pass credentials separately from URLs",
        references: ["https://www.rfc-editor.org/rfc/rfc3986#section-3.2.1"],
        aliases: [],
        failing: ("mirror.sh", "git clone https://ci:0123456789abcdefghij@git.example.org/shop/api.git\n"),
        passing: ("mirror.sh", "git -c credential.helper=store clone https://git.example.org/shop/api.git\n"),
        detect: {
            keywords: &["://"],
            // The host must end the authority: `docker://alpine:3.20@sha256:…`
            // is an image with a digest, not a login.
            pattern: r#"(?i)\b[a-z][a-z0-9+.-]{1,20}://(?P<user>[^:@/\s"'<>]+):(?P<secret>[^@/\s"'<>]+)@[A-Za-z0-9.\[\]-]+(?::[0-9]+)?(?:[/?#\s"'<>]|$)"#,
            shape: Shape::Password,
            min_len: 3,
            min_entropy: PASSWORD_ENTROPY,
            priority: 40,
        },
    },
    secret_rule! {
        id: "secrets/kafka-jaas-password",
        title: "No Kafka JAAS configuration carries a password",
        what: "a Kafka SASL password",
        grants: "A `sasl.jaas.config` with `password=\"…\"` (PLAIN or SCRAM) logs in to the \
            Kafka cluster as that principal, with its ACLs on every topic.",
        rotate: "change the principal's credential on the cluster (or delete the Confluent \
            Cloud API key) and load the JAAS configuration from a secret store",
        references: ["https://kafka.apache.org/documentation/#security_sasl_jaasconfig"],
        aliases: [],
        failing: ("client.properties", "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"shop\" password=\"0123456789abcdef\";\n"),
        passing: ("client.properties", "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"shop\" password=\"${KAFKA_PASSWORD}\";\n"),
        detect: {
            keywords: &["loginmodule"],
            pattern: r#"(?i)LoginModule\s+required\b[^;]*?\bpassword\s*=\s*\\?"(?P<secret>[^"\\]+)\\?""#,
            shape: Shape::Password,
            min_len: 3,
            min_entropy: PASSWORD_ENTROPY,
            priority: 50,
        },
    },
    secret_rule! {
        id: "secrets/netrc-password",
        title: "No .netrc file is committed with a password",
        what: "a .netrc password",
        grants: "A `.netrc` entry (`machine … login … password …`) is read by curl, Git, pip \
            and ftp clients, which log in with it automatically; committed, it logs anyone \
            in.",
        rotate: "change the password or revoke the token at each `machine` it names, and \
            keep `.netrc` in the home folder with mode 600",
        references: ["https://everything.curl.dev/usingcurl/netrc.html"],
        aliases: [],
        failing: (".netrc", "machine api.example.org\n  login ci\n  password 0123456789abcdefghij\n"),
        passing: (".netrc", "machine api.example.org\n  login ci\n"),
        detect: {
            keywords: &["password"],
            pattern: r"\bpassword\s+(?P<secret>\S+)",
            shape: Shape::Password,
            min_len: 3,
            min_entropy: PASSWORD_ENTROPY,
            priority: 50,
            paths: &["**/.netrc", "**/_netrc", ".netrc", "_netrc"],
        },
    },
    secret_rule! {
        id: "secrets/basic-auth-header",
        title: "No HTTP basic authentication header is committed",
        what: "HTTP basic credentials",
        grants: "An `Authorization: Basic …` header is a user name and password in base64, \
            which anyone can decode; pasted into a script or a request collection it logs \
            in as that user.",
        rotate: "change the password (or revoke the token) it encodes, and read credentials \
            from the environment when building the header",
        references: ["https://www.rfc-editor.org/rfc/rfc7617"],
        aliases: [],
        failing: ("probe.sh", "curl -H 'Authorization: Basic Y2k6MDEyMzQ1Njc4OWFiY2RlZmdoaWo=' https://api.example.org/health\n"),
        passing: ("probe.sh", "curl -u \"ci:$API_PASSWORD\" https://api.example.org/health\n"),
        detect: {
            keywords: &["basic "],
            pattern: r#"(?i)\bauthorization["']?\s*[:=]\s*["']?basic\s+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})"#,
            min_entropy: 3.0,
            priority: 60,
            validate: Some(basic_credentials),
        },
    },
    secret_rule! {
        id: "secrets/bearer-token-header",
        title: "No HTTP bearer token header is committed",
        what: "a bearer token",
        grants: "An `Authorization: Bearer …` header pasted into a script, a request \
            collection or documentation carries a live token, usable by anyone until it \
            expires or is revoked.",
        rotate: "revoke the token at its issuer, and read tokens from the environment when \
            building the header",
        references: ["https://www.rfc-editor.org/rfc/rfc6750"],
        aliases: [],
        failing: ("probe.sh", "curl -H 'Authorization: Bearer 0123456789abcdefghijklmnopqrstuvwxyzABCD' https://api.example.org/orders\n"),
        passing: ("probe.sh", "curl -H \"Authorization: Bearer $API_TOKEN\" https://api.example.org/orders\n"),
        detect: {
            keywords: &["bearer"],
            pattern: r#"(?i)\bauthorization["']?\s*[:=]\s*["']?bearer\s+(?P<secret>[A-Za-z0-9._~+/-]{20,}=*)"#,
            shape: Shape::Named,
            min_entropy: 3.5,
            priority: 40,
        },
    },
];
