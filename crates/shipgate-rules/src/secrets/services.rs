//! Software-as-a-service APIs: messaging, payments, commerce, AI models,
//! observability and the tools teams work in.

use super::{Reach, Shape, Spec, secret_rule};

pub(super) const SPECS: &[Spec] = &[
    secret_rule! {
        id: "secrets/slack-bot-token",
        title: "No Slack bot token is committed",
        what: "a Slack bot token",
        grants: "A Slack bot token (`xoxb-…`) reads and posts in every channel the app was \
            added to, with the scopes it was installed with, and can be used to phish the \
            workspace from a trusted name.",
        rotate: "revoke it (`auth.revoke`, or reinstall the app after removing it) and \
            enable token rotation",
        references: ["https://api.slack.com/concepts/token-types"],
        aliases: ["slack-access-token"],
        failing: (".env", "SLACK_BOT_TOKEN=xoxb-0123456789-0123456789012-0123456789abcdefghijklmn\n"),
        passing: (".env", "SLACK_BOT_TOKEN=${SLACK_BOT_TOKEN}\n"),
        detect: {
            keywords: &["xoxb-"],
            pattern: r"\b(?P<secret>xoxb-[0-9]{8,13}-[0-9]{8,13}-[A-Za-z0-9]{20,32})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/slack-user-token",
        title: "No Slack user token is committed",
        what: "a Slack user token",
        grants: "A Slack user token (`xoxp-…`) acts as the person who installed the app: it \
            reads their private channels and direct messages within its scopes.",
        rotate: "revoke it with `auth.revoke` or by removing the app from the user's \
            authorisations",
        references: ["https://api.slack.com/concepts/token-types"],
        aliases: ["slack-access-token"],
        failing: (".env", "SLACK_USER_TOKEN=xoxp-0123456789-0123456789-0123456789012-0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "SLACK_USER_TOKEN=${SLACK_USER_TOKEN}\n"),
        detect: {
            keywords: &["xoxp-"],
            pattern: r"\b(?P<secret>xoxp-(?:[0-9]{8,13}-){3}[a-f0-9]{32})\b",
        },
    },
    secret_rule! {
        id: "secrets/slack-app-token",
        title: "No Slack app-level token is committed",
        what: "a Slack app-level token",
        grants: "A Slack app-level token (`xapp-…`) opens Socket Mode connections for the app \
            and receives its events across the workspaces it is installed in.",
        rotate: "revoke and regenerate it under the app's Basic Information → App-Level \
            Tokens",
        references: ["https://api.slack.com/concepts/token-types"],
        aliases: [],
        failing: (".env", "SLACK_APP_TOKEN=xapp-1-A0123456789-0123456789012-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "SLACK_APP_TOKEN=${SLACK_APP_TOKEN}\n"),
        detect: {
            keywords: &["xapp-"],
            pattern: r"\b(?P<secret>xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,13}-[a-f0-9]{64})\b",
        },
    },
    secret_rule! {
        id: "secrets/slack-config-token",
        title: "No Slack configuration token is committed",
        what: "a Slack configuration token",
        grants: "A Slack app configuration token (`xoxe.xoxp-…`) or refresh token \
            (`xoxe-…`) creates and changes apps of the workspace, or mints new access tokens.",
        rotate: "revoke it with `tooling.tokens.rotate` or by regenerating the configuration \
            tokens on the app management page",
        references: ["https://api.slack.com/authentication/config-tokens"],
        aliases: [],
        failing: (".env", "SLACK_CONFIG_TOKEN=xoxe.xoxp-1-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"),
        passing: (".env", "SLACK_CONFIG_TOKEN=${SLACK_CONFIG_TOKEN}\n"),
        detect: {
            keywords: &["xoxe"],
            pattern: r"\b(?P<secret>xoxe(?:\.xox[bp])?-[0-9]-[A-Za-z0-9]{140,})\b",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/slack-webhook",
        title: "No Slack incoming webhook URL is committed",
        what: "a Slack webhook URL",
        grants: "A Slack incoming or workflow webhook URL posts into its channel as the app, \
            with no other credential: anyone holding it can send convincing messages to the \
            team.",
        rotate: "remove the webhook from the app's Incoming Webhooks (or the workflow) and \
            create a new one",
        references: ["https://api.slack.com/messaging/webhooks"],
        aliases: ["slack-web-hook"],
        failing: ("notify.sh", "curl -X POST -d '{\"text\":\"deployed\"}' https://hooks.slack.com/services/T01234567/B0123456789/0123456789abcdefghijklmn\n"),
        passing: ("notify.sh", "curl -X POST -d '{\"text\":\"deployed\"}' \"$SLACK_WEBHOOK_URL\"\n"),
        detect: {
            keywords: &["hooks.slack.com"],
            pattern: r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>T[A-Z0-9]{8,12}/[AB]?[A-Z0-9]{8,12}/(?:[0-9]+/)?[A-Za-z0-9]{24,32})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/discord-bot-token",
        title: "No Discord bot token is committed",
        what: "a Discord bot token",
        grants: "A Discord bot token logs in as the bot on every server it was added to, \
            with its permissions, which are often administrative.",
        rotate: "reset the token on the application's Bot page in the Discord developer \
            portal",
        references: ["https://discord.com/developers/docs/reference#authentication"],
        aliases: [],
        failing: (".env", "DISCORD_TOKEN=MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GABCDE.0123456789abcdefghijklmnopqrstuvwxyzAB\n"),
        passing: (".env", "DISCORD_TOKEN=${DISCORD_TOKEN}\n"),
        detect: {
            keywords: &["discord"],
            pattern: r"(?:^|[^A-Za-z0-9_.-])(?P<secret>[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?:[^A-Za-z0-9_.-]|$)",
            reach: Reach::File,
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/discord-webhook",
        title: "No Discord webhook URL is committed",
        what: "a Discord webhook URL",
        grants: "A Discord webhook URL posts into its channel with the webhook's name and \
            avatar, and can delete the webhook, with no other credential.",
        rotate: "delete the webhook in the channel's Integrations settings and create a new \
            one",
        references: ["https://discord.com/developers/docs/resources/webhook"],
        aliases: [],
        failing: ("notify.py", "WEBHOOK = \"https://discord.com/api/webhooks/123456789012345678/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01\"\n"),
        passing: ("notify.py", "WEBHOOK = os.environ[\"DISCORD_WEBHOOK_URL\"]\n"),
        detect: {
            keywords: &["/api/webhooks/"],
            pattern: r"discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/(?P<secret>[A-Za-z0-9_-]{60,68})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/telegram-bot-token",
        title: "No Telegram bot token is committed",
        what: "a Telegram bot token",
        grants: "A Telegram bot token controls the bot: it reads every message sent to it and \
            in its groups, and sends messages in its name.",
        rotate: "revoke it with BotFather's `/revoke` command and update the bot",
        references: ["https://core.telegram.org/bots/api#authorizing-your-bot"],
        aliases: [],
        failing: (".env", "TELEGRAM_BOT_TOKEN=123456789:AA0123456789abcdefghijklmnopqrstuvw\n"),
        passing: (".env", "TELEGRAM_BOT_TOKEN=${TELEGRAM_BOT_TOKEN}\n"),
        detect: {
            keywords: &[],
            pattern: r"(?:^|[^0-9])(?P<secret>[0-9]{8,10}:AA[A-Za-z0-9_-]{33})(?:[^A-Za-z0-9_-]|$)",
            reach: Reach::File,
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/microsoft-teams-webhook",
        title: "No Microsoft Teams incoming webhook URL is committed",
        what: "a Microsoft Teams webhook URL",
        grants: "A Teams incoming webhook URL posts cards into its channel with no other \
            credential, which makes it a ready tool for phishing the team.",
        rotate: "remove the Incoming Webhook connector from the channel and configure a new \
            one",
        references: ["https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook"],
        aliases: [],
        failing: ("notify.sh", "curl -H 'Content-Type: application/json' -d '{\"text\":\"deployed\"}' https://shop.webhook.office.com/webhookb2/01234567-89ab-cdef-0123-456789abcdef@01234567-89ab-cdef-0123-456789abcdef/IncomingWebhook/0123456789abcdef0123456789abcdef/01234567-89ab-cdef-0123-456789abcdef\n"),
        passing: ("notify.sh", "curl -H 'Content-Type: application/json' -d '{\"text\":\"deployed\"}' \"$TEAMS_WEBHOOK_URL\"\n"),
        detect: {
            keywords: &["webhook.office.com"],
            pattern: r"webhook\.office\.com/webhookb2/[0-9a-f-]{36}@[0-9a-f-]{36}/IncomingWebhook/(?P<secret>[a-f0-9]{32})/[0-9a-f-]{36}",
        },
    },
    secret_rule! {
        id: "secrets/twilio-api-key",
        title: "No Twilio API key is committed",
        what: "a Twilio API key SID",
        grants: "A Twilio API key (`SK…`) with its secret, usually beside it, sends messages \
            and places calls billed to the account, and reads its message logs.",
        rotate: "delete the API key in the Twilio console under Account → API keys and \
            create a new one",
        references: ["https://www.twilio.com/docs/iam/api-keys"],
        aliases: ["twilio-api-key"],
        failing: (".env", "TWILIO_API_KEY=SK0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "TWILIO_API_KEY=${TWILIO_API_KEY}\n"),
        detect: {
            keywords: &["twilio"],
            pattern: r"\b(?P<secret>SK[0-9a-f]{32})\b",
            reach: Reach::File,
        },
    },
    secret_rule! {
        id: "secrets/twilio-auth-token",
        title: "No Twilio auth token is committed",
        what: "a Twilio auth token",
        grants: "A Twilio auth token is the account's master credential: it sends messages, \
            buys numbers and reads every log of the account.",
        rotate: "promote a secondary auth token in the Twilio console (Account → API keys & \
            tokens), then delete the old one",
        references: ["https://www.twilio.com/docs/iam/access-tokens"],
        aliases: [],
        failing: (".env", "TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "TWILIO_AUTH_TOKEN=${TWILIO_AUTH_TOKEN}\n"),
        detect: {
            keywords: &["twilio"],
            pattern: r#"(?i)twilio[\w.-]{0,20}?(?:auth[_-]?)?token["']?(?:\s*:\s*[A-Za-z_][A-Za-z0-9_.]*)?\s*(?::=|=>|[:=])\s*["']?(?P<secret>[a-f0-9]{32})\b"#,
            shape: Shape::Named,
            min_entropy: 3.2,
        },
    },
    secret_rule! {
        id: "secrets/sendgrid-api-key",
        title: "No SendGrid API key is committed",
        what: "a SendGrid API key",
        grants: "A SendGrid API key (`SG.…`) sends mail from the account's verified domains, \
            the perfect phishing tool, and may read contacts and statistics.",
        rotate: "delete the key under Settings → API Keys in SendGrid and create a new one",
        references: ["https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys"],
        aliases: ["sendgrid-api-token"],
        failing: (".env", "SENDGRID_API_KEY=SG.0123456789abcdefghijkl.0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n"),
        passing: (".env", "SENDGRID_API_KEY=${SENDGRID_API_KEY}\n"),
        detect: {
            keywords: &[],
            pattern: r"\b(?P<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
            reach: Reach::File,
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/mailgun-api-key",
        title: "No Mailgun API key is committed",
        what: "a Mailgun API key",
        grants: "A Mailgun private API key (`key-…`) sends mail from the account's domains \
            and reads its logs and suppression lists.",
        rotate: "regenerate the key under Account settings → API keys in Mailgun",
        references: ["https://documentation.mailgun.com/docs/mailgun/api-reference/authentication"],
        aliases: ["mailgun-token"],
        failing: (".env", "MAILGUN_API_KEY=key-0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "MAILGUN_API_KEY=${MAILGUN_API_KEY}\n"),
        detect: {
            keywords: &[],
            pattern: r"\b(?P<secret>key-[a-f0-9]{32})\b",
            reach: Reach::File,
        },
    },
    secret_rule! {
        id: "secrets/mailchimp-api-key",
        title: "No Mailchimp API key is committed",
        what: "a Mailchimp API key",
        grants: "A Mailchimp API key (`…-us12`) reads and exports every audience of the \
            account, personal data included, and sends campaigns.",
        rotate: "disable the key under Profile → Extras → API keys in Mailchimp",
        references: ["https://mailchimp.com/developer/marketing/guides/quick-start/#generate-your-api-key"],
        aliases: ["mailchimp-api-key"],
        failing: (".env", "MAILCHIMP_API_KEY=0123456789abcdef0123456789abcdef-us12\n"),
        passing: (".env", "MAILCHIMP_API_KEY=${MAILCHIMP_API_KEY}\n"),
        detect: {
            keywords: &[],
            pattern: r"\b(?P<secret>[a-f0-9]{32}-us[0-9]{1,2})\b",
            reach: Reach::File,
        },
    },
    secret_rule! {
        id: "secrets/brevo-api-key",
        title: "No Brevo (Sendinblue) API or SMTP key is committed",
        what: "a Brevo API key",
        grants: "A Brevo (formerly Sendinblue) API key (`xkeysib-…`) or SMTP key \
            (`xsmtpsib-…`) sends mail from the account and reads its contacts.",
        rotate: "delete the key under SMTP & API → API keys in Brevo",
        references: ["https://developers.brevo.com/docs/getting-started"],
        aliases: ["sendinblue-api-token"],
        failing: (".env", "BREVO_API_KEY=xkeysib-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef-0123456789abcdef\n"),
        passing: (".env", "BREVO_API_KEY=${BREVO_API_KEY}\n"),
        detect: {
            keywords: &["xkeysib-", "xsmtpsib-"],
            pattern: r"\b(?P<secret>x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16})\b",
        },
    },
    secret_rule! {
        id: "secrets/stripe-secret-key",
        title: "No Stripe secret key is committed",
        what: "a Stripe secret key",
        grants: "A Stripe secret key (`sk_live_…`) has full access to the account: charges, \
            refunds, payouts and customers' payment data; a test key (`sk_test_…`) exposes \
            the test mode's data and settings.",
        rotate: "roll the key under Developers → API keys in the Stripe dashboard (an \
            expiry lets the old one keep working briefly) and use restricted keys",
        references: ["https://docs.stripe.com/keys"],
        aliases: ["stripe-secret-token"],
        failing: (".env", "STRIPE_SECRET_KEY=sk_live_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\n"),
        passing: (".env", "STRIPE_SECRET_KEY=${STRIPE_SECRET_KEY}\n"),
        detect: {
            keywords: &["sk_live_", "sk_test_"],
            pattern: r"\b(?P<secret>sk_(?:live|test)_[A-Za-z0-9]{24,247})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/stripe-restricted-key",
        title: "No Stripe restricted key is committed",
        what: "a Stripe restricted key",
        grants: "A Stripe restricted key (`rk_live_…`) has the permissions it was created \
            with, often read access to customers and charges.",
        rotate: "roll or delete the key under Developers → API keys in the Stripe dashboard",
        references: ["https://docs.stripe.com/keys#limit-access"],
        aliases: [],
        failing: (".env", "STRIPE_RESTRICTED_KEY=rk_live_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\n"),
        passing: (".env", "STRIPE_RESTRICTED_KEY=${STRIPE_RESTRICTED_KEY}\n"),
        detect: {
            keywords: &["rk_live_", "rk_test_"],
            pattern: r"\b(?P<secret>rk_(?:live|test)_[A-Za-z0-9]{24,247})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/stripe-webhook-secret",
        title: "No Stripe webhook signing secret is committed",
        what: "a Stripe webhook signing secret",
        grants: "A webhook signing secret (`whsec_…`) lets anyone forge events that the \
            endpoint accepts as Stripe's: payments that never happened, refunds, disputes.",
        rotate: "roll the secret on the webhook endpoint's page in the Stripe dashboard",
        references: ["https://docs.stripe.com/webhooks#verify-events"],
        aliases: [],
        failing: (".env", "STRIPE_WEBHOOK_SECRET=whsec_0123456789abcdefghijklmnopqrstuvwxyzABCD\n"),
        passing: (".env", "STRIPE_WEBHOOK_SECRET=${STRIPE_WEBHOOK_SECRET}\n"),
        detect: {
            keywords: &["whsec_"],
            pattern: r"\b(?P<secret>whsec_[A-Za-z0-9+/=]{32,})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/square-access-token",
        title: "No Square access token is committed",
        what: "a Square access token",
        grants: "A Square access token (`EAAA…`) takes payments, issues refunds and reads \
            the seller's customers and orders.",
        rotate: "revoke the token in the Square Developer Dashboard (or through the OAuth \
            revoke endpoint) and issue a new one",
        references: ["https://developer.squareup.com/docs/build-basics/access-tokens"],
        aliases: [],
        failing: (".env", "SQUARE_ACCESS_TOKEN=EAAA0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX\n"),
        passing: (".env", "SQUARE_ACCESS_TOKEN=${SQUARE_ACCESS_TOKEN}\n"),
        detect: {
            keywords: &["eaaa"],
            pattern: r"\b(?P<secret>EAAA[A-Za-z0-9_-]{60})(?:[^A-Za-z0-9_-]|$)",
            min_entropy: 3.5,
            priority: 85,
        },
    },
    secret_rule! {
        id: "secrets/square-oauth-secret",
        title: "No Square OAuth application secret is committed",
        what: "a Square OAuth application secret",
        grants: "A Square application secret (`sq0csp-…`) exchanges authorisation codes for \
            sellers' access tokens in the application's name.",
        rotate: "replace the secret on the application's OAuth page in the Square Developer \
            Dashboard",
        references: ["https://developer.squareup.com/docs/oauth-api/overview"],
        aliases: [],
        failing: (".env", "SQUARE_APP_SECRET=sq0csp-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n"),
        passing: (".env", "SQUARE_APP_SECRET=${SQUARE_APP_SECRET}\n"),
        detect: {
            keywords: &["sq0csp-"],
            pattern: r"\b(?P<secret>sq0csp-[A-Za-z0-9_-]{43})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/braintree-access-token",
        title: "No Braintree (PayPal) access token is committed",
        what: "a Braintree access token",
        grants: "A Braintree access token (`access_token$production$…`) creates transactions \
            and refunds on the merchant account.",
        rotate: "revoke the token in the Braintree control panel (or PayPal developer \
            dashboard) and create a new one",
        references: ["https://developer.paypal.com/braintree/docs/guides/authorization/access-token"],
        aliases: [],
        failing: ("settings.py", "BRAINTREE_ACCESS_TOKEN = \"access_token$production$0123456789abcdef$0123456789abcdef0123456789abcdef\"\n"),
        passing: ("settings.py", "BRAINTREE_ACCESS_TOKEN = os.environ[\"BRAINTREE_ACCESS_TOKEN\"]\n"),
        detect: {
            keywords: &["access_token$"],
            pattern: r"\b(?P<secret>access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32})\b",
        },
    },
    secret_rule! {
        id: "secrets/plaid-access-token",
        title: "No Plaid access token is committed",
        what: "a Plaid access token",
        grants: "A Plaid access token reads a user's linked bank accounts: balances, \
            transactions and identity data.",
        rotate: "rotate it with Plaid's `/item/access_token/invalidate` endpoint",
        references: ["https://plaid.com/docs/api/items/#itemaccess_tokeninvalidate"],
        aliases: [],
        failing: ("fixtures.json", "{\"access_token\": \"access-production-01234567-89ab-cdef-0123-456789abcdef\"}\n"),
        passing: ("fixtures.json", "{\"access_token\": null}\n"),
        detect: {
            keywords: &["access-production-", "access-development-", "access-sandbox-"],
            pattern: r"\b(?P<secret>access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
        },
    },
    secret_rule! {
        id: "secrets/flutterwave-secret-key",
        title: "No Flutterwave secret key is committed",
        what: "a Flutterwave secret key",
        grants: "A Flutterwave secret key (`FLWSECK-…`) charges cards, initiates transfers \
            and reads the merchant's transactions.",
        rotate: "regenerate the keys under Settings → API in the Flutterwave dashboard",
        references: ["https://developer.flutterwave.com/docs/authentication"],
        aliases: [],
        failing: (".env", "FLW_SECRET_KEY=FLWSECK-0123456789abcdef0123456789abcdef-X\n"),
        passing: (".env", "FLW_SECRET_KEY=${FLW_SECRET_KEY}\n"),
        detect: {
            keywords: &["flwseck"],
            pattern: r"\b(?P<secret>FLWSECK(?:_TEST)?-[a-f0-9]{32}-X)\b",
        },
    },
    secret_rule! {
        id: "secrets/shopify-access-token",
        title: "No Shopify access token is committed",
        what: "a Shopify access token",
        grants: "A Shopify Admin API access token (`shpat_…`, `shpca_…`) reads and changes \
            the store's orders, customers and products with the app's scopes.",
        rotate: "uninstall and reinstall the custom app (or rotate its token in the app's \
            API credentials) in the Shopify admin",
        references: ["https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens"],
        aliases: ["shopify-token"],
        failing: (".env", "SHOPIFY_ACCESS_TOKEN=shpat_0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "SHOPIFY_ACCESS_TOKEN=${SHOPIFY_ACCESS_TOKEN}\n"),
        detect: {
            keywords: &["shpat_", "shpca_"],
            pattern: r"\b(?P<secret>shp(?:at|ca)_[a-fA-F0-9]{32})\b",
        },
    },
    secret_rule! {
        id: "secrets/shopify-shared-secret",
        title: "No Shopify app shared secret is committed",
        what: "a Shopify app shared secret",
        grants: "A Shopify app's shared secret (`shpss_…`) verifies webhooks and OAuth \
            requests: whoever holds it can forge them to the app.",
        rotate: "rotate the client secret in the Partner Dashboard (or the app's API \
            credentials)",
        references: ["https://shopify.dev/docs/apps/build/authentication-authorization/client-secrets"],
        aliases: ["shopify-token"],
        failing: (".env", "SHOPIFY_API_SECRET=shpss_0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "SHOPIFY_API_SECRET=${SHOPIFY_API_SECRET}\n"),
        detect: {
            keywords: &["shpss_"],
            pattern: r"\b(?P<secret>shpss_[a-fA-F0-9]{32})\b",
        },
    },
    secret_rule! {
        id: "secrets/shopify-private-app-password",
        title: "No Shopify private app password is committed",
        what: "a Shopify private app password",
        grants: "A Shopify private app password (`shppa_…`) uses the Admin API with the \
            private app's permissions on the store.",
        rotate: "delete the private app (or convert it to a custom app) in the Shopify admin",
        references: ["https://shopify.dev/docs/apps/build/authentication-authorization"],
        aliases: ["shopify-token"],
        failing: (".env", "SHOPIFY_PASSWORD=shppa_0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "SHOPIFY_PASSWORD=${SHOPIFY_PASSWORD}\n"),
        detect: {
            keywords: &["shppa_"],
            pattern: r"\b(?P<secret>shppa_[a-fA-F0-9]{32})\b",
        },
    },
    secret_rule! {
        id: "secrets/shippo-api-token",
        title: "No Shippo API token is committed",
        what: "a Shippo API token",
        grants: "A Shippo live token (`shippo_live_…`) buys shipping labels billed to the \
            account and reads its customers' addresses.",
        rotate: "regenerate the token under Settings → API in Shippo",
        references: ["https://docs.goshippo.com/docs/guides_general/authentication/"],
        aliases: ["shippo-api-token"],
        failing: (".env", "SHIPPO_API_TOKEN=shippo_live_0123456789abcdef0123456789abcdef01234567\n"),
        passing: (".env", "SHIPPO_API_TOKEN=${SHIPPO_API_TOKEN}\n"),
        detect: {
            keywords: &["shippo_live_", "shippo_test_"],
            pattern: r"\b(?P<secret>shippo_(?:live|test)_[a-f0-9]{40})\b",
        },
    },
    secret_rule! {
        id: "secrets/easypost-api-key",
        title: "No EasyPost API key is committed",
        what: "an EasyPost API key",
        grants: "An EasyPost production key (`EZAK…`) buys postage billed to the account and \
            reads shipments with customers' addresses.",
        rotate: "disable the key under Account settings → API keys in EasyPost",
        references: ["https://docs.easypost.com/docs/authentication"],
        aliases: ["easypost-api-token"],
        failing: (".env", "EASYPOST_API_KEY=EZAK0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR\n"),
        passing: (".env", "EASYPOST_API_KEY=${EASYPOST_API_KEY}\n"),
        detect: {
            keywords: &["ezak", "eztk"],
            pattern: r"\b(?P<secret>EZ[AT]K[A-Za-z0-9]{54})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/duffel-api-token",
        title: "No Duffel API token is committed",
        what: "a Duffel API token",
        grants: "A Duffel live token (`duffel_live_…`) books and cancels flights paid from \
            the account's balance, with travellers' personal data.",
        rotate: "revoke the token under Developers → Access tokens in Duffel",
        references: ["https://duffel.com/docs/api/overview/making-requests/authentication"],
        aliases: ["duffel-api-token"],
        failing: (".env", "DUFFEL_ACCESS_TOKEN=duffel_live_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n"),
        passing: (".env", "DUFFEL_ACCESS_TOKEN=${DUFFEL_ACCESS_TOKEN}\n"),
        detect: {
            keywords: &["duffel_live_", "duffel_test_"],
            pattern: r"\b(?P<secret>duffel_(?:test|live)_[A-Za-z0-9_-]{43})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/openai-api-key",
        title: "No OpenAI API key is committed",
        what: "an OpenAI API key",
        grants: "An OpenAI API key (`sk-proj-…`, or a legacy `sk-…` key) spends the \
            organisation's credit and reads its files, fine-tunes and assistants; leaked keys \
            are abused within minutes.",
        rotate: "delete the key under the project's API keys in the OpenAI platform and \
            create a new one",
        references: ["https://platform.openai.com/docs/api-reference/authentication"],
        aliases: [],
        failing: (".env", "OPENAI_API_KEY=sk-proj-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZT3BlbkFJ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n"),
        passing: (".env", "OPENAI_API_KEY=${OPENAI_API_KEY}\n"),
        detect: {
            keywords: &["t3blbkfj", "sk-proj-", "sk-svcacct-", "sk-admin-"],
            pattern: r"\b(?P<secret>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{80,}|sk-[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/anthropic-api-key",
        title: "No Anthropic API key is committed",
        what: "an Anthropic API key",
        grants: "An Anthropic API key (`sk-ant-api03-…`) spends the workspace's credit on \
            Claude models and reads what the workspace stores through the API.",
        rotate: "disable and delete the key under Settings → API keys in the Anthropic \
            Console",
        references: ["https://docs.anthropic.com/en/api/getting-started#authentication"],
        aliases: [],
        failing: (".env", "ANTHROPIC_API_KEY=sk-ant-api03-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEAA\n"),
        passing: (".env", "ANTHROPIC_API_KEY=${ANTHROPIC_API_KEY}\n"),
        detect: {
            keywords: &["sk-ant-api"],
            pattern: r"\b(?P<secret>sk-ant-api[0-9]{2}-[A-Za-z0-9_-]{80,120})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/anthropic-admin-key",
        title: "No Anthropic Admin API key is committed",
        what: "an Anthropic Admin API key",
        grants: "An Anthropic Admin API key (`sk-ant-admin01-…`) manages the organisation: \
            its members, workspaces and API keys.",
        rotate: "delete the key under Settings → Admin keys in the Anthropic Console",
        references: ["https://docs.anthropic.com/en/api/administration-api"],
        aliases: [],
        failing: (".env", "ANTHROPIC_ADMIN_KEY=sk-ant-admin01-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEAA\n"),
        passing: (".env", "ANTHROPIC_ADMIN_KEY=${ANTHROPIC_ADMIN_KEY}\n"),
        detect: {
            keywords: &["sk-ant-admin"],
            pattern: r"\b(?P<secret>sk-ant-admin[0-9]{2}-[A-Za-z0-9_-]{80,120})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/huggingface-token",
        title: "No Hugging Face access token is committed",
        what: "a Hugging Face access token",
        grants: "A Hugging Face user access token (`hf_…`) reads, and with write scope \
            changes, the user's and organisations' private models, datasets and Spaces.",
        rotate: "invalidate the token under Settings → Access Tokens on Hugging Face",
        references: ["https://huggingface.co/docs/hub/security-tokens"],
        aliases: ["hugging-face-access-token"],
        failing: (".env", "HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEFGH\n"),
        passing: (".env", "HF_TOKEN=${HF_TOKEN}\n"),
        detect: {
            keywords: &["hf_"],
            pattern: r"\b(?P<secret>hf_[A-Za-z0-9]{34,40})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/huggingface-org-token",
        title: "No Hugging Face organisation API token is committed",
        what: "a Hugging Face organisation API token",
        grants: "A legacy Hugging Face organisation token (`api_org_…`) reads and writes the \
            organisation's private repositories.",
        rotate: "revoke the token in the organisation's settings and move to fine-grained \
            user tokens",
        references: ["https://huggingface.co/docs/hub/security-tokens"],
        aliases: [],
        failing: (".env", "HF_ORG_TOKEN=api_org_abcdefghijklmnopqrstuvwxyzABCDEFGH\n"),
        passing: (".env", "HF_ORG_TOKEN=${HF_ORG_TOKEN}\n"),
        detect: {
            keywords: &["api_org_"],
            pattern: r"\b(?P<secret>api_org_[A-Za-z]{34})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/groq-api-key",
        title: "No Groq API key is committed",
        what: "a Groq API key",
        grants: "A Groq API key (`gsk_…`) spends the organisation's model usage.",
        rotate: "delete the key under API Keys in the Groq console",
        references: ["https://console.groq.com/docs/quickstart"],
        aliases: [],
        failing: (".env", "GROQ_API_KEY=gsk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP\n"),
        passing: (".env", "GROQ_API_KEY=${GROQ_API_KEY}\n"),
        detect: {
            keywords: &["gsk_"],
            pattern: r"\b(?P<secret>gsk_[A-Za-z0-9]{52})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/replicate-api-token",
        title: "No Replicate API token is committed",
        what: "a Replicate API token",
        grants: "A Replicate API token (`r8_…`) runs models billed to the account and reads \
            its predictions.",
        rotate: "disable the token under Account → API tokens on Replicate",
        references: ["https://replicate.com/docs/reference/http#authentication"],
        aliases: [],
        failing: (".env", "REPLICATE_API_TOKEN=r8_0123456789abcdefghijklmnopqrstuvwxyzA\n"),
        passing: (".env", "REPLICATE_API_TOKEN=${REPLICATE_API_TOKEN}\n"),
        detect: {
            keywords: &["r8_"],
            pattern: r"\b(?P<secret>r8_[A-Za-z0-9]{37})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/perplexity-api-key",
        title: "No Perplexity API key is committed",
        what: "a Perplexity API key",
        grants: "A Perplexity API key (`pplx-…`) spends the account's API credit.",
        rotate: "delete the key under Settings → API in Perplexity",
        references: ["https://docs.perplexity.ai/guides/getting-started"],
        aliases: [],
        failing: (".env", "PERPLEXITY_API_KEY=pplx-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL\n"),
        passing: (".env", "PERPLEXITY_API_KEY=${PERPLEXITY_API_KEY}\n"),
        detect: {
            keywords: &["pplx-"],
            pattern: r"\b(?P<secret>pplx-[A-Za-z0-9]{48})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/xai-api-key",
        title: "No xAI API key is committed",
        what: "an xAI API key",
        grants: "An xAI API key (`xai-…`) spends the team's credit on Grok models.",
        rotate: "delete the key under API Keys in the xAI console",
        references: ["https://docs.x.ai/docs/overview"],
        aliases: [],
        failing: (".env", "XAI_API_KEY=xai-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefgh\n"),
        passing: (".env", "XAI_API_KEY=${XAI_API_KEY}\n"),
        detect: {
            keywords: &["xai-"],
            pattern: r"\b(?P<secret>xai-[A-Za-z0-9]{80})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/pinecone-api-key",
        title: "No Pinecone API key is committed",
        what: "a Pinecone API key",
        grants: "A Pinecone API key (`pcsk_…`) reads, writes and deletes the project's \
            vector indexes, and the data embedded in them.",
        rotate: "delete the key under API Keys in the Pinecone console",
        references: ["https://docs.pinecone.io/guides/projects/manage-api-keys"],
        aliases: [],
        failing: (".env", "PINECONE_API_KEY=pcsk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n"),
        passing: (".env", "PINECONE_API_KEY=${PINECONE_API_KEY}\n"),
        detect: {
            keywords: &["pcsk_"],
            pattern: r"\b(?P<secret>pcsk_[A-Za-z0-9_]{50,})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/langsmith-api-key",
        title: "No LangSmith API key is committed",
        what: "a LangSmith API key",
        grants: "A LangSmith personal or service key (`lsv2_…`) reads the traces of the \
            workspace, with every prompt and answer they recorded.",
        rotate: "delete the key under Settings → API Keys in LangSmith",
        references: ["https://docs.smith.langchain.com/administration/how_to_guides/organization_management/create_account_api_key"],
        aliases: [],
        failing: (".env", "LANGSMITH_API_KEY=lsv2_pt_0123456789abcdef0123456789abcdef_0123456789\n"),
        passing: (".env", "LANGSMITH_API_KEY=${LANGSMITH_API_KEY}\n"),
        detect: {
            keywords: &["lsv2_"],
            pattern: r"\b(?P<secret>lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b",
        },
    },
    secret_rule! {
        id: "secrets/datadog-api-key",
        title: "No Datadog API key is committed",
        what: "a Datadog API key",
        grants: "A Datadog API key submits metrics, logs and events to the organisation: \
            whoever holds it can flood or falsify its monitoring and run up its bill.",
        rotate: "revoke the key under Organization settings → API Keys in Datadog and \
            create a new one",
        references: ["https://docs.datadoghq.com/account_management/api-app-keys/"],
        aliases: [],
        failing: (".env", "DD_API_KEY=0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "DD_API_KEY=${DD_API_KEY}\n"),
        detect: {
            keywords: &["datadog", "dd_api", "dd-api", "ddapi"],
            pattern: r#"(?i)(?:datadog|dd)[\w.-]{0,20}?api[_-]?key["']?(?:\s*:\s*[A-Za-z_][A-Za-z0-9_.]*)?\s*(?::=|=>|[:=])\s*["']?(?P<secret>[a-f0-9]{32})\b"#,
            shape: Shape::Named,
            // Random 32-digit hex falls under 3.2 about once in a hundred
            // draws; the name already says what the value is.
            min_entropy: 2.8,
        },
    },
    secret_rule! {
        id: "secrets/datadog-app-key",
        title: "No Datadog application key is committed",
        what: "a Datadog application key",
        grants: "A Datadog application key, with an API key, reads the organisation's data \
            (logs with their contents, dashboards, monitors) and changes its configuration \
            as its owner.",
        rotate: "revoke the key under Organization settings → Application Keys (or the \
            user's own) in Datadog",
        references: ["https://docs.datadoghq.com/account_management/api-app-keys/"],
        aliases: [],
        failing: (".env", "DD_APP_KEY=0123456789abcdef0123456789abcdef01234567\n"),
        passing: (".env", "DD_APP_KEY=${DD_APP_KEY}\n"),
        detect: {
            keywords: &["datadog", "dd_app", "dd-app", "ddapp"],
            pattern: r#"(?i)(?:datadog|dd)[\w.-]{0,20}?app(?:lication)?[_-]?key["']?(?:\s*:\s*[A-Za-z_][A-Za-z0-9_.]*)?\s*(?::=|=>|[:=])\s*["']?(?P<secret>[a-f0-9]{40})\b"#,
            shape: Shape::Named,
            min_entropy: 3.3,
        },
    },
    secret_rule! {
        id: "secrets/sentry-org-token",
        title: "No Sentry organisation auth token is committed",
        what: "a Sentry organisation token",
        grants: "A Sentry organisation auth token (`sntrys_…`) uploads source maps and \
            releases, and reads the organisation's issues with their captured data.",
        rotate: "revoke the token under Settings → Auth Tokens in Sentry",
        references: ["https://docs.sentry.io/account/auth-tokens/"],
        aliases: [],
        failing: (".env", "SENTRY_AUTH_TOKEN=sntrys_eyJABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n"),
        passing: (".env", "SENTRY_AUTH_TOKEN=${SENTRY_AUTH_TOKEN}\n"),
        detect: {
            keywords: &["sntrys_"],
            pattern: r"\b(?P<secret>sntrys_eyJ[A-Za-z0-9+/=_-]{100,})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/sentry-user-token",
        title: "No Sentry user auth token is committed",
        what: "a Sentry user token",
        grants: "A Sentry user auth token (`sntryu_…`) acts as its user on every organisation \
            the user belongs to, with its scopes.",
        rotate: "revoke the token under User settings → Personal Tokens in Sentry",
        references: ["https://docs.sentry.io/account/auth-tokens/"],
        aliases: [],
        failing: (".env", "SENTRY_AUTH_TOKEN=sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "SENTRY_AUTH_TOKEN=${SENTRY_AUTH_TOKEN}\n"),
        detect: {
            keywords: &["sntryu_"],
            pattern: r"\b(?P<secret>sntryu_[a-f0-9]{64})\b",
        },
    },
    secret_rule! {
        id: "secrets/newrelic-user-key",
        title: "No New Relic user API key is committed",
        what: "a New Relic user key",
        grants: "A New Relic user key (`NRAK-…`) queries and changes the accounts of its user \
            through NerdGraph: data, alerts and dashboards.",
        rotate: "delete the key under API keys in New Relic and create a new one",
        references: ["https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/"],
        aliases: ["new-relic-user-api-key"],
        failing: (".env", "NEW_RELIC_API_KEY=NRAK-0123456789ABCDEFGHIJKLMNOPQ\n"),
        passing: (".env", "NEW_RELIC_API_KEY=${NEW_RELIC_API_KEY}\n"),
        detect: {
            keywords: &["nrak-"],
            pattern: r"\b(?P<secret>NRAK-[A-Z0-9]{27})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/newrelic-license-key",
        title: "No New Relic license (ingest) key is committed",
        what: "a New Relic license key",
        grants: "A New Relic license key (`…NRAL`) reports data into the account: whoever \
            holds it can inject false telemetry and run up ingest costs.",
        rotate: "create a new ingest key under API keys in New Relic, deploy it, then delete \
            the old one",
        references: ["https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/#license-key"],
        aliases: [],
        failing: ("newrelic.yml", "common: &default_settings\n  license_key: 0123456789abcdef0123456789abcdef0123NRAL\n"),
        passing: ("newrelic.yml", "common: &default_settings\n  license_key: <%= ENV['NEW_RELIC_LICENSE_KEY'] %>\n"),
        detect: {
            keywords: &["nral"],
            pattern: r"\b(?P<secret>[a-f0-9]{36}NRAL)\b",
        },
    },
    secret_rule! {
        id: "secrets/newrelic-insert-key",
        title: "No New Relic insert key is committed",
        what: "a New Relic insert key",
        grants: "A New Relic insert key (`NRII-…`) submits events to the account.",
        rotate: "delete the key under API keys in New Relic and move to license keys",
        references: ["https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/"],
        aliases: [],
        failing: (".env", "NEW_RELIC_INSERT_KEY=NRII-0123456789abcdefghijklmnopqrstuv\n"),
        passing: (".env", "NEW_RELIC_INSERT_KEY=${NEW_RELIC_INSERT_KEY}\n"),
        detect: {
            keywords: &["nrii-"],
            pattern: r"\b(?P<secret>NRII-[A-Za-z0-9_-]{32})(?:[^A-Za-z0-9_-]|$)",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/grafana-cloud-token",
        title: "No Grafana Cloud access policy token is committed",
        what: "a Grafana Cloud token",
        grants: "A Grafana Cloud access policy token (`glc_…`) writes or reads the stack's \
            metrics, logs and traces, or manages the stack, with its scopes.",
        rotate: "delete the token from its access policy in the Grafana Cloud portal",
        references: ["https://grafana.com/docs/grafana-cloud/security-and-account-management/authentication-and-permissions/access-policies/"],
        aliases: [],
        failing: (".env", "GRAFANA_CLOUD_TOKEN=glc_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789==\n"),
        passing: (".env", "GRAFANA_CLOUD_TOKEN=${GRAFANA_CLOUD_TOKEN}\n"),
        detect: {
            keywords: &["glc_"],
            pattern: r"\b(?P<secret>glc_[A-Za-z0-9+/]{32,}={0,2})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/grafana-service-account-token",
        title: "No Grafana service account token is committed",
        what: "a Grafana service account token",
        grants: "A Grafana service account token (`glsa_…`) uses the Grafana API with the \
            service account's role: dashboards, data sources and their credentials.",
        rotate: "delete the token under Administration → Service accounts in Grafana",
        references: ["https://grafana.com/docs/grafana/latest/administration/service-accounts/"],
        aliases: [],
        failing: (".env", "GRAFANA_TOKEN=glsa_0123456789abcdefghijklmnopqrstuv_0123abcd\n"),
        passing: (".env", "GRAFANA_TOKEN=${GRAFANA_TOKEN}\n"),
        detect: {
            keywords: &["glsa_"],
            pattern: r"\b(?P<secret>glsa_[A-Za-z0-9]{32}_[a-f0-9]{8})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/grafana-api-key",
        title: "No legacy Grafana API key is committed",
        what: "a Grafana API key",
        grants: "A legacy Grafana API key (`eyJrIjoi…`) uses the Grafana API with its role, \
            up to Admin.",
        rotate: "delete the key in Grafana's API keys page and migrate to service accounts",
        references: ["https://grafana.com/docs/grafana/latest/administration/service-accounts/migrate-api-keys/"],
        aliases: ["grafana-api-token"],
        failing: (".env", "GRAFANA_API_KEY=eyJrIjoi0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP\n"),
        passing: (".env", "GRAFANA_API_KEY=${GRAFANA_API_KEY}\n"),
        detect: {
            keywords: &["eyjrijoi"],
            pattern: r"\b(?P<secret>eyJrIjoi[A-Za-z0-9_=-]{40,})",
            min_entropy: 4.0,
            priority: 85,
        },
    },
    secret_rule! {
        id: "secrets/dynatrace-token",
        title: "No Dynatrace access token is committed",
        what: "a Dynatrace access token",
        grants: "A Dynatrace access token (`dt0c01.…`) reads or ingests the environment's \
            monitoring data, or changes its configuration, with its scopes.",
        rotate: "revoke the token under Access tokens in Dynatrace",
        references: ["https://docs.dynatrace.com/docs/manage/identity-access-management/access-tokens-and-oauth-clients/access-tokens"],
        aliases: ["dynatrace-api-token"],
        failing: (".env", "DT_API_TOKEN=dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQR\n"),
        passing: (".env", "DT_API_TOKEN=${DT_API_TOKEN}\n"),
        detect: {
            keywords: &["dt0c01."],
            pattern: r"\b(?P<secret>dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/linear-api-key",
        title: "No Linear API key is committed",
        what: "a Linear API key",
        grants: "A Linear personal API key (`lin_api_…`) reads and changes every issue and \
            project its user can see.",
        rotate: "revoke the key under Settings → Security & access → Personal API keys",
        references: ["https://linear.app/developers/graphql#personal-api-keys"],
        aliases: ["linear-api-token"],
        failing: (".env", "LINEAR_API_KEY=lin_api_0123456789abcdefghijklmnopqrstuvwxyzABCD\n"),
        passing: (".env", "LINEAR_API_KEY=${LINEAR_API_KEY}\n"),
        detect: {
            keywords: &["lin_api_"],
            pattern: r"\b(?P<secret>lin_api_[A-Za-z0-9]{40})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/notion-token",
        title: "No Notion integration token is committed",
        what: "a Notion integration token",
        grants: "A Notion internal integration token (`ntn_…`, formerly `secret_…`) reads and \
            edits every page and database shared with the integration.",
        rotate: "refresh the integration's secret under Settings → Integrations in Notion",
        references: ["https://developers.notion.com/docs/authorization"],
        aliases: [],
        failing: (".env", "NOTION_TOKEN=ntn_01234567890abcdefghijklmnopqrstuvwxyzABCDEFGHI\n"),
        passing: (".env", "NOTION_TOKEN=${NOTION_TOKEN}\n"),
        detect: {
            keywords: &[],
            pattern: r"\b(?P<secret>ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})\b",
            reach: Reach::File,
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/figma-token",
        title: "No Figma personal access token is committed",
        what: "a Figma personal access token",
        grants: "A Figma personal access token (`figd_…`) reads, and with write scopes \
            comments on, every file its user can open.",
        rotate: "revoke the token under Settings → Security → Personal access tokens in Figma",
        references: ["https://www.figma.com/developers/api#access-tokens"],
        aliases: [],
        failing: (".env", "FIGMA_TOKEN=figd_0123456789abcdefghijklmnopqrstuvwxyzABCD\n"),
        passing: (".env", "FIGMA_TOKEN=${FIGMA_TOKEN}\n"),
        detect: {
            keywords: &["figd_"],
            pattern: r"\b(?P<secret>figd_[A-Za-z0-9_-]{40})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/airtable-token",
        title: "No Airtable personal access token is committed",
        what: "an Airtable personal access token",
        grants: "An Airtable personal access token (`pat….`) reads and writes the bases it \
            was granted, with their records.",
        rotate: "delete the token in Airtable's developer hub under Personal access tokens",
        references: ["https://airtable.com/developers/web/guides/personal-access-tokens"],
        aliases: [],
        failing: (".env", "AIRTABLE_TOKEN=pat0123456789abcd.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "AIRTABLE_TOKEN=${AIRTABLE_TOKEN}\n"),
        detect: {
            keywords: &[],
            pattern: r"\b(?P<secret>pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b",
            reach: Reach::File,
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/typeform-token",
        title: "No Typeform personal access token is committed",
        what: "a Typeform personal access token",
        grants: "A Typeform personal access token (`tfp_…`) reads the account's forms and \
            every response they collected.",
        rotate: "delete the token under Account → Personal tokens in Typeform",
        references: ["https://www.typeform.com/developers/get-started/personal-access-token/"],
        aliases: ["typeform-api-token"],
        failing: (".env", "TYPEFORM_TOKEN=tfp_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW\n"),
        passing: (".env", "TYPEFORM_TOKEN=${TYPEFORM_TOKEN}\n"),
        detect: {
            keywords: &["tfp_"],
            pattern: r"\b(?P<secret>tfp_[A-Za-z0-9_.=-]{59})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/frameio-token",
        title: "No Frame.io developer token is committed",
        what: "a Frame.io developer token",
        grants: "A Frame.io developer token (`fio-u-…`) reads and uploads the media of the \
            accounts its user belongs to.",
        rotate: "delete the token in the Frame.io developer site's Tokens page",
        references: ["https://developer.frame.io/docs/getting-started/authentication"],
        aliases: ["frameio-api-token"],
        failing: (".env", "FRAMEIO_TOKEN=fio-u-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01\n"),
        passing: (".env", "FRAMEIO_TOKEN=${FRAMEIO_TOKEN}\n"),
        detect: {
            keywords: &["fio-u-"],
            pattern: r"\b(?P<secret>fio-u-[A-Za-z0-9_=-]{64})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/contentful-token",
        title: "No Contentful personal access token is committed",
        what: "a Contentful personal access token",
        grants: "A Contentful content management token (`CFPAT-…`) changes and publishes the \
            content of every space its user can reach.",
        rotate: "revoke the token under Settings → CMA tokens in Contentful",
        references: ["https://www.contentful.com/developers/docs/references/authentication/"],
        aliases: [],
        failing: (".env", "CONTENTFUL_MANAGEMENT_TOKEN=CFPAT-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n"),
        passing: (".env", "CONTENTFUL_MANAGEMENT_TOKEN=${CONTENTFUL_MANAGEMENT_TOKEN}\n"),
        detect: {
            keywords: &["cfpat-"],
            pattern: r"\b(?P<secret>CFPAT-[A-Za-z0-9_-]{43})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/mapbox-secret-token",
        title: "No Mapbox secret access token is committed",
        what: "a Mapbox secret token",
        grants: "A Mapbox secret token (`sk.…`, unlike public `pk.` tokens) has scopes such as \
            uploads and token management, billed to the account.",
        rotate: "delete the token on the Access tokens page of the Mapbox account",
        references: ["https://docs.mapbox.com/accounts/guides/tokens/"],
        aliases: [],
        failing: (".env", "MAPBOX_SECRET_TOKEN=sk.eyJ1IjoiABCDEFGHIJKLMNOPQRSTUVWXYZ.0123456789abcdefghijklmnop\n"),
        passing: (".env", "MAPBOX_SECRET_TOKEN=${MAPBOX_SECRET_TOKEN}\n"),
        detect: {
            keywords: &["sk.eyj"],
            pattern: r"\b(?P<secret>sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/hubspot-private-app-token",
        title: "No HubSpot private app access token is committed",
        what: "a HubSpot private app token",
        grants: "A HubSpot private app token (`pat-na1-…`) reads and changes CRM records \
            (contacts, deals, companies) with the app's scopes.",
        rotate: "rotate the token on the private app's Auth tab in HubSpot",
        references: ["https://developers.hubspot.com/docs/api/private-apps"],
        aliases: [],
        failing: (".env", "HUBSPOT_TOKEN=pat-na1-01234567-89ab-cdef-0123-456789abcdef\n"),
        passing: (".env", "HUBSPOT_TOKEN=${HUBSPOT_TOKEN}\n"),
        detect: {
            keywords: &["pat-na1-", "pat-eu1-"],
            pattern: r"\b(?P<secret>pat-(?:na|eu)1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
        },
    },
    secret_rule! {
        id: "secrets/twitter-bearer-token",
        title: "No X (Twitter) app bearer token is committed",
        what: "an X API bearer token",
        grants: "An X (Twitter) app-only bearer token calls the API as the app, spending its \
            rate limits and paid quota.",
        rotate: "regenerate the bearer token on the app's Keys and tokens page in the X \
            developer portal",
        references: ["https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/bearer-tokens"],
        aliases: [],
        failing: (".env", "X_BEARER_TOKEN=AAAAAAAAAAAAAAAAAAAAA0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz\n"),
        passing: (".env", "X_BEARER_TOKEN=${X_BEARER_TOKEN}\n"),
        detect: {
            keywords: &["aaaaaaaaaaaaaaaaaaaaa"],
            pattern: r"\b(?P<secret>AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/facebook-access-token",
        title: "No Facebook (Meta) access token is committed",
        what: "a Meta access token",
        grants: "A Meta user, page or system-user access token (`EAA…`) acts on the Graph \
            API as its owner: posting on pages, reading ad accounts and messages.",
        rotate: "invalidate the token (change the app secret, or remove the system user's \
            token in Business settings)",
        references: ["https://developers.facebook.com/docs/facebook-login/guides/access-tokens"],
        aliases: [],
        failing: (".env", "META_ACCESS_TOKEN=EAA0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH\n"),
        passing: (".env", "META_ACCESS_TOKEN=${META_ACCESS_TOKEN}\n"),
        detect: {
            keywords: &[],
            pattern: r"\b(?P<secret>EAA[A-Za-z0-9]{100,})\b",
            reach: Reach::File,
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/adobe-client-secret",
        title: "No Adobe Developer client secret is committed",
        what: "an Adobe client secret",
        grants: "An Adobe Developer Console client secret (`p8e-…`) obtains access tokens for \
            the project's APIs in the organisation's name.",
        rotate: "add a new client secret to the project's credential in the Adobe Developer \
            Console, then delete the old one",
        references: ["https://developer.adobe.com/developer-console/docs/guides/authentication/ServerToServerAuthentication/implementation/"],
        aliases: ["adobe-client-secret"],
        failing: (".env", "ADOBE_CLIENT_SECRET=p8e-0123456789abcdefghijklmnopqrstuv\n"),
        passing: (".env", "ADOBE_CLIENT_SECRET=${ADOBE_CLIENT_SECRET}\n"),
        detect: {
            keywords: &["p8e-"],
            pattern: r"\b(?P<secret>p8e-[A-Za-z0-9]{32})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/prefect-api-key",
        title: "No Prefect Cloud API key is committed",
        what: "a Prefect Cloud API key",
        grants: "A Prefect Cloud API key (`pnu_…`) runs and changes the workspace's flows and \
            reads their blocks, which hold other credentials.",
        rotate: "delete the key under the user's API keys in Prefect Cloud",
        references: ["https://docs.prefect.io/v3/manage/cloud/manage-users/api-keys"],
        aliases: [],
        failing: (".env", "PREFECT_API_KEY=pnu_0123456789abcdefghijklmnopqrstuvwxyz\n"),
        passing: (".env", "PREFECT_API_KEY=${PREFECT_API_KEY}\n"),
        detect: {
            keywords: &["pnu_"],
            pattern: r"\b(?P<secret>pnu_[A-Za-z0-9]{36})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/okta-api-token",
        title: "No Okta API token is committed",
        what: "an Okta API token",
        grants: "An Okta API token acts with its creator's administrator role on the org: \
            users, groups, applications and sign-on policies.",
        rotate: "revoke the token under Security → API → Tokens in the Okta admin console",
        references: ["https://developer.okta.com/docs/guides/create-an-api-token/main/"],
        aliases: [],
        failing: (".env", "OKTA_API_TOKEN=000123456789abcdefghijklmnopqrstuvwxyzABCD\n"),
        passing: (".env", "OKTA_API_TOKEN=${OKTA_API_TOKEN}\n"),
        detect: {
            keywords: &["okta"],
            pattern: r#"(?i)okta[\w.-]{0,20}?(?:api[_-]?)?token["']?(?:\s*:\s*[A-Za-z_][A-Za-z0-9_.]*)?\s*(?::=|=>|[:=])\s*["']?(?P<secret>00[A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_-]|$)"#,
            shape: Shape::Named,
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/algolia-admin-key",
        title: "No Algolia admin or write API key is committed",
        what: "an Algolia admin API key",
        grants: "An Algolia admin or write key changes and deletes the application's indices, \
            and creates further keys.",
        rotate: "regenerate the admin key (or delete the write key) under API Keys in the \
            Algolia dashboard",
        references: ["https://www.algolia.com/doc/guides/security/api-keys/"],
        aliases: [],
        failing: (".env", "ALGOLIA_ADMIN_KEY=0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "ALGOLIA_SEARCH_ONLY_KEY=${ALGOLIA_SEARCH_ONLY_KEY}\n"),
        detect: {
            keywords: &["algolia"],
            pattern: r#"(?i)algolia[\w.-]{0,20}?(?:admin|write|api)[_-]?key["']?(?:\s*:\s*[A-Za-z_][A-Za-z0-9_.]*)?\s*(?::=|=>|[:=])\s*["']?(?P<secret>[a-f0-9]{32})\b"#,
            shape: Shape::Named,
            min_entropy: 3.2,
        },
    },
    secret_rule! {
        id: "secrets/snyk-token",
        title: "No Snyk API token is committed",
        what: "a Snyk API token",
        grants: "A Snyk API token acts as its user or service account: it reads the \
            organisation's projects with their vulnerabilities and changes their settings.",
        rotate: "revoke and regenerate the token under Account settings (or the service \
            account's page) in Snyk",
        references: ["https://docs.snyk.io/snyk-api/authentication-for-api"],
        aliases: [],
        failing: (".env", "SNYK_TOKEN=01234567-89ab-cdef-0123-456789abcdef\n"),
        passing: (".env", "SNYK_TOKEN=${SNYK_TOKEN}\n"),
        detect: {
            keywords: &["snyk"],
            pattern: r#"(?i)snyk[\w.-]{0,20}?(?:token|key)["']?(?:\s*:\s*[A-Za-z_][A-Za-z0-9_.]*)?\s*(?::=|=>|[:=])\s*["']?(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"#,
            shape: Shape::Named,
            min_entropy: 3.0,
        },
    },
];
