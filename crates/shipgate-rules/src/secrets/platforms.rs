//! Source hosting, CI and package registries: the credentials that change
//! code, builds and what users install.

use super::{Capture, Reach, Shape, Spec, filters, secret_rule};

/// A base64 `user:password` pair whose password is a literal.
pub(super) fn basic_credentials(capture: &Capture<'_>) -> bool {
    let Some(decoded) = filters::base64_decode(capture.secret) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    let password = &decoded[colon + 1..];
    !password.is_empty()
        && !filters::is_placeholder(password)
        && !filters::is_reference(password, b"", b"", false)
}

pub(super) const SPECS: &[Spec] = &[
    secret_rule! {
        id: "secrets/github-pat",
        title: "No GitHub personal access token (classic) is committed",
        what: "a GitHub personal access token",
        grants: "A classic personal access token (`ghp_…`) acts as its owner on every \
            repository and organisation the owner can reach, within its scopes, which are \
            often broad (`repo`, `admin:org`).",
        rotate: "revoke it under Settings → Developer settings → Personal access tokens \
            (organisation owners can revoke it too), then prefer a fine-grained token",
        references: ["https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats"],
        aliases: ["github-pat"],
        failing: (".env", "GITHUB_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyz\n"),
        passing: (".env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n"),
        detect: {
            keywords: &["ghp_"],
            pattern: r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/github-fine-grained-pat",
        title: "No GitHub fine-grained personal access token is committed",
        what: "a GitHub fine-grained personal access token",
        grants: "A fine-grained personal access token (`github_pat_…`) acts as its owner on \
            the repositories and with the permissions it was given, until it expires.",
        rotate: "revoke it under Settings → Developer settings → Fine-grained tokens",
        references: ["https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens"],
        aliases: ["github-fine-grained-pat"],
        failing: ("deploy.sh", "export GH_TOKEN=github_pat_0123456789abcdefghijkl_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW\n"),
        passing: ("deploy.sh", "export GH_TOKEN=\"$(gh auth token)\"\n"),
        detect: {
            keywords: &["github_pat_"],
            pattern: r"\b(?P<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/github-oauth-token",
        title: "No GitHub OAuth access token is committed",
        what: "a GitHub OAuth access token",
        grants: "A GitHub OAuth token (`gho_…`) acts as the user who authorised the OAuth \
            app, with the scopes it asked for.",
        rotate: "revoke the app's authorisation under Settings → Applications (or through \
            the OAuth app's token API)",
        references: ["https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats"],
        aliases: ["github-oauth"],
        failing: ("hosts.yml", "github.com:\n  oauth_token: gho_0123456789abcdefghijklmnopqrstuvwxyz\n"),
        passing: ("hosts.yml", "github.com:\n  git_protocol: ssh\n"),
        detect: {
            keywords: &["gho_"],
            pattern: r"\b(?P<secret>gho_[A-Za-z0-9]{36})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/github-app-token",
        title: "No GitHub App installation or user token is committed",
        what: "a GitHub App token",
        grants: "A GitHub App token acts as the app's installation (`ghs_…`) or as a user \
            through the app (`ghu_…`) on the repositories it was installed on.",
        rotate: "revoke the token through the REST API (`DELETE /installation/token`) or \
            revoke the user's authorisation of the app",
        references: ["https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/about-authentication-with-a-github-app"],
        aliases: ["github-app-token"],
        failing: (".env", "GITHUB_TOKEN=ghs_0123456789abcdefghijklmnopqrstuvwxyz\n"),
        passing: (".env", "GITHUB_APP_ID=123456\n"),
        detect: {
            keywords: &["ghs_", "ghu_"],
            pattern: r"\b(?P<secret>gh[su]_[A-Za-z0-9]{36})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/github-refresh-token",
        title: "No GitHub refresh token is committed",
        what: "a GitHub refresh token",
        grants: "A GitHub refresh token (`ghr_…`) mints new user-to-server tokens for a \
            GitHub App for months, long after the access token it came with expired.",
        rotate: "revoke the user's authorisation of the app, which invalidates its refresh \
            tokens",
        references: ["https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens"],
        aliases: ["github-refresh-token"],
        failing: ("token.json", "{\"refresh_token\": \"ghr_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd\"}\n"),
        passing: ("token.json", "{\"refresh_token\": null}\n"),
        detect: {
            keywords: &["ghr_"],
            pattern: r"\b(?P<secret>ghr_[A-Za-z0-9]{36,76})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/gitlab-pat",
        title: "No GitLab personal, project or group access token is committed",
        what: "a GitLab access token",
        grants: "A GitLab personal, project or group access token (`glpat-…`) acts on the \
            GitLab API, repositories and registries with its scopes, often `api`, which is \
            everything its user can do.",
        rotate: "revoke it under the user's (or project's, or group's) Access tokens page, \
            or through the token revocation API",
        references: ["https://docs.gitlab.com/security/tokens/#token-prefixes"],
        aliases: ["gitlab-pat"],
        failing: (".env", "GITLAB_TOKEN=glpat-0123456789abcdefghij\n"),
        passing: (".env", "GITLAB_TOKEN=${CI_JOB_TOKEN}\n"),
        detect: {
            keywords: &["glpat-"],
            pattern: r"\b(?P<secret>glpat-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+){0,2})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/gitlab-deploy-token",
        title: "No GitLab deploy token is committed",
        what: "a GitLab deploy token",
        grants: "A GitLab deploy token (`gldt-…`) reads, and may write, the repositories \
            and registries of its project or group.",
        rotate: "revoke it under the project's Settings → Repository → Deploy tokens",
        references: ["https://docs.gitlab.com/security/tokens/#token-prefixes"],
        aliases: [],
        failing: (".env", "REGISTRY_PASSWORD=gldt-0123456789abcdefghij\n"),
        passing: (".env", "REGISTRY_PASSWORD=${CI_DEPLOY_PASSWORD}\n"),
        detect: {
            keywords: &["gldt-"],
            pattern: r"\b(?P<secret>gldt-[A-Za-z0-9_-]{20,})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/gitlab-runner-token",
        title: "No GitLab runner token is committed",
        what: "a GitLab runner token",
        grants: "A runner authentication token (`glrt-…`), or a legacy registration token \
            (`GR1348941…`), lets a machine pose as the project's runner and receive its jobs, \
            with their CI variables and secrets.",
        rotate: "reset the runner's authentication token (or the registration token) in the \
            project's or group's CI/CD settings",
        references: ["https://docs.gitlab.com/security/tokens/#token-prefixes"],
        aliases: [],
        failing: ("config.toml", "[[runners]]\n  token = \"glrt-0123456789abcdefghij\"\n"),
        passing: ("config.toml", "[[runners]]\n  executor = \"docker\"\n"),
        detect: {
            keywords: &["glrt-", "gr1348941"],
            pattern: r"\b(?P<secret>glrt-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20,})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/gitlab-pipeline-trigger-token",
        title: "No GitLab pipeline trigger token is committed",
        what: "a GitLab pipeline trigger token",
        grants: "A pipeline trigger token (`glptt-…`) starts pipelines of its project as the \
            user who created it, with that user's access to protected variables.",
        rotate: "revoke it under the project's Settings → CI/CD → Pipeline trigger tokens",
        references: ["https://docs.gitlab.com/security/tokens/#token-prefixes"],
        aliases: [],
        failing: ("trigger.sh", "curl -X POST -F token=glptt-0123456789abcdef0123456789abcdef01234567 -F ref=main https://gitlab.example.org/api/v4/projects/1/trigger/pipeline\n"),
        passing: ("trigger.sh", "curl -X POST -F \"token=$TRIGGER_TOKEN\" -F ref=main https://gitlab.example.org/api/v4/projects/1/trigger/pipeline\n"),
        detect: {
            keywords: &["glptt-"],
            pattern: r"\b(?P<secret>glptt-[A-Za-z0-9_-]{20,})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/gitlab-oauth-app-secret",
        title: "No GitLab OAuth application secret is committed",
        what: "a GitLab OAuth application secret",
        grants: "A GitLab OAuth application secret (`gloas-…`) lets anyone act as the \
            application in OAuth flows and exchange authorisation codes for user tokens.",
        rotate: "renew the secret under the application's settings in GitLab",
        references: ["https://docs.gitlab.com/security/tokens/#token-prefixes"],
        aliases: [],
        failing: (".env", "GITLAB_OAUTH_SECRET=gloas-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"),
        passing: (".env", "GITLAB_OAUTH_SECRET=${GITLAB_OAUTH_SECRET}\n"),
        detect: {
            keywords: &["gloas-"],
            pattern: r"\b(?P<secret>gloas-[A-Za-z0-9_-]{20,})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/gitlab-feed-token",
        title: "No GitLab feed token is committed",
        what: "a GitLab feed token",
        grants: "A GitLab feed token (`glft-…`) reads its user's activity, issue and \
            calendar feeds, including those of private projects.",
        rotate: "reset it under the user's Access tokens page",
        references: ["https://docs.gitlab.com/security/tokens/#token-prefixes"],
        aliases: [],
        failing: ("feeds.opml", "<outline xmlUrl=\"https://gitlab.example.org/dashboard/issues.atom?feed_token=glft-0123456789abcdefghij\"/>\n"),
        passing: ("feeds.opml", "<outline xmlUrl=\"https://gitlab.example.org/explore/projects.atom\"/>\n"),
        detect: {
            keywords: &["glft-"],
            pattern: r"\b(?P<secret>glft-[A-Za-z0-9_-]{20,})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/gitlab-agent-token",
        title: "No GitLab agent for Kubernetes token is committed",
        what: "a GitLab agent for Kubernetes token",
        grants: "An agent token (`glagent-…`) connects a cluster to GitLab as the agent: \
            whoever holds it can impersonate the cluster or receive its deployments.",
        rotate: "revoke the token in the project's Operate → Kubernetes clusters page and \
            create a new one",
        references: ["https://docs.gitlab.com/security/tokens/#token-prefixes"],
        aliases: [],
        failing: ("values.yaml", "config:\n  token: glagent-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\n"),
        passing: ("values.yaml", "config:\n  secretName: gitlab-agent-token\n"),
        detect: {
            keywords: &["glagent-"],
            pattern: r"\b(?P<secret>glagent-[A-Za-z0-9_-]{20,})",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/bitbucket-app-password",
        title: "No Bitbucket app password is committed",
        what: "a Bitbucket app password",
        grants: "A Bitbucket app password (`ATBB…`) acts as its user on the Bitbucket API and \
            over Git, with its permissions.",
        rotate: "revoke it under Personal Bitbucket settings → App passwords and move to \
            API tokens or access tokens",
        references: ["https://support.atlassian.com/bitbucket-cloud/docs/app-passwords/"],
        aliases: [],
        failing: (".env", "BITBUCKET_APP_PASSWORD=ATBB0123456789abcdefghijklmnopqrstuv\n"),
        passing: (".env", "BITBUCKET_APP_PASSWORD=${BITBUCKET_APP_PASSWORD}\n"),
        detect: {
            keywords: &["atbb"],
            pattern: r"\b(?P<secret>ATBB[A-Za-z0-9_=.-]{28,40})(?:[^A-Za-z0-9_=.-]|$)",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/atlassian-api-token",
        title: "No Atlassian API token is committed",
        what: "an Atlassian API token",
        grants: "An Atlassian API token (`ATATT…`) acts as its user on Jira, Confluence and \
            the other cloud products of every site the user can reach.",
        rotate: "revoke it at id.atlassian.com under Security → API tokens",
        references: ["https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/"],
        aliases: ["atlassian-api-token"],
        failing: (".env", "JIRA_API_TOKEN=ATATT3xFfGF0ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=01234567\n"),
        passing: (".env", "JIRA_API_TOKEN=${JIRA_API_TOKEN}\n"),
        detect: {
            keywords: &["atatt3"],
            pattern: r"\b(?P<secret>ATATT3[A-Za-z0-9_=-]{150,})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/npm-token",
        title: "No npm access token is committed",
        what: "an npm access token",
        grants: "An npm access token (`npm_…`) publishes packages as its user: one leaked \
            token is how malicious versions of popular packages reach millions of installs.",
        rotate: "revoke it with `npm token revoke` or on npmjs.com under Access Tokens, then \
            publish from CI with trusted publishing instead",
        references: ["https://docs.npmjs.com/about-access-tokens"],
        aliases: ["npm-access-token"],
        failing: (".npmrc", "//registry.npmjs.org/:_authToken=npm_0123456789abcdefghijklmnopqrstuvwxyz\n"),
        passing: (".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
        detect: {
            keywords: &["npm_"],
            pattern: r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/npmrc-auth",
        title: "No registry credential is committed in npm or Yarn configuration",
        what: "a package registry credential",
        grants: "An `_authToken`, `_auth` or `_password` in `.npmrc` (or `npmAuthToken` in \
            `.yarnrc.yml`) publishes and installs private packages as its user, on npm or \
            on a private registry.",
        rotate: "revoke the token or change the password at the registry, then reference \
            it as `${NPM_TOKEN}`",
        references: ["https://docs.npmjs.com/cli/v10/configuring-npm/npmrc#auth-related-configuration"],
        aliases: [],
        failing: (".npmrc", "//npm.pkg.example.org/:_authToken=0123456789abcdefghijklmnopqrstuv\n"),
        passing: (".npmrc", "//npm.pkg.example.org/:_authToken=${NPM_TOKEN}\n"),
        detect: {
            keywords: &["_authtoken", "_auth", "_password", "npmauthtoken"],
            pattern: r#"(?i)(?:\b_authToken\s*=|\b_auth\s*=|\b_password\s*=|\bnpmAuthToken\s*:)\s*["']?(?P<secret>[^\s"'#]+)"#,
            shape: Shape::Password,
            min_entropy: 3.0,
            priority: 70,
        },
    },
    secret_rule! {
        id: "secrets/pypi-token",
        title: "No PyPI API token is committed",
        what: "a PyPI API token",
        grants: "A PyPI API token (`pypi-…`) uploads releases of its user's projects, or of \
            one project when scoped: a leaked token is a supply-chain attack waiting to happen.",
        rotate: "remove the token under Account settings → API tokens on PyPI (or TestPyPI), \
            and publish with trusted publishing",
        references: ["https://pypi.org/help/#apitoken"],
        aliases: ["pypi-upload-token"],
        failing: (".pypirc", "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n"),
        passing: (".pypirc", "[pypi]\nusername = __token__\n"),
        detect: {
            keywords: &["pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"],
            pattern: r"\b(?P<secret>pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/dockerhub-token",
        title: "No Docker Hub access token is committed",
        what: "a Docker Hub access token",
        grants: "A Docker Hub personal or organisation access token (`dckr_pat_…`, \
            `dckr_oat_…`) pushes images as its owner: whoever holds it can replace the images \
            the team deploys.",
        rotate: "delete the token under Account settings → Personal access tokens (or the \
            organisation's access tokens) and create a new one",
        references: ["https://docs.docker.com/security/for-developers/access-tokens/"],
        aliases: [],
        failing: (".env", "DOCKERHUB_TOKEN=dckr_pat_0123456789abcdefghijklmnopq\n"),
        passing: (".env", "DOCKERHUB_TOKEN=${DOCKERHUB_TOKEN}\n"),
        detect: {
            keywords: &["dckr_pat_", "dckr_oat_"],
            pattern: r"\b(?P<secret>dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,40})(?:[^A-Za-z0-9_-]|$)",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/docker-config-auth",
        title: "No registry login is committed in a Docker config file",
        what: "a container registry login",
        grants: "The `auth` field of a Docker `config.json` (and of a Kubernetes \
            `.dockerconfigjson`) is `user:password` in base64, readable by anyone: it pulls \
            and pushes images as that user.",
        rotate: "change the password or revoke the token at the registry, then use a \
            credential helper (`credsStore`)",
        references: ["https://docs.docker.com/reference/cli/docker/login/#credential-stores"],
        aliases: ["dockerconfig-secret"],
        failing: ("config.json", "{\"auths\": {\"registry.example.org\": {\"auth\": \"Y2k6MDEyMzQ1Njc4OWFiY2RlZmdoaWo=\"}}}\n"),
        passing: ("config.json", "{\"credsStore\": \"pass\"}\n"),
        detect: {
            keywords: &["\"auth\""],
            pattern: r#""auth"\s*:\s*"(?P<secret>[A-Za-z0-9+/]{8,}={0,2})""#,
            min_entropy: 3.0,
            priority: 70,
            validate: Some(basic_credentials),
        },
    },
    secret_rule! {
        id: "secrets/rubygems-token",
        title: "No RubyGems API key is committed",
        what: "a RubyGems API key",
        grants: "A RubyGems API key (`rubygems_…`) pushes and yanks gems of its owner.",
        rotate: "delete the key under Edit profile → API keys on rubygems.org",
        references: ["https://guides.rubygems.org/api-key-scopes/"],
        aliases: ["rubygems-api-token"],
        failing: ("credentials", "---\n:rubygems_api_key: rubygems_0123456789abcdef0123456789abcdef0123456789abcdef\n"),
        passing: ("credentials", "---\n:rubygems_api_key: \n"),
        detect: {
            keywords: &["rubygems_"],
            pattern: r"\b(?P<secret>rubygems_[a-f0-9]{48})\b",
        },
    },
    secret_rule! {
        id: "secrets/nuget-api-key",
        title: "No NuGet API key is committed",
        what: "a NuGet API key",
        grants: "A nuget.org API key (`oy2…`) pushes and unlists packages of its owner, \
            within its glob pattern.",
        rotate: "regenerate or delete the key under API keys on nuget.org",
        references: ["https://learn.microsoft.com/en-us/nuget/nuget-org/scoped-api-keys"],
        aliases: [],
        failing: ("publish.sh", "dotnet nuget push shop.nupkg --api-key oy20123456789abcdefghijklmnopqrstuvwxyz0123456 --source https://api.nuget.org/v3/index.json\n"),
        passing: ("publish.sh", "dotnet nuget push shop.nupkg --api-key \"$NUGET_API_KEY\" --source https://api.nuget.org/v3/index.json\n"),
        detect: {
            keywords: &[],
            pattern: r"\b(?P<secret>oy2[a-z0-9]{43})\b",
            reach: Reach::File,
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/clojars-token",
        title: "No Clojars deploy token is committed",
        what: "a Clojars deploy token",
        grants: "A Clojars deploy token (`CLOJARS_…`) deploys artifacts of its user's \
            groups.",
        rotate: "disable the token under Deploy tokens on clojars.org",
        references: ["https://github.com/clojars/clojars-web/wiki/Deploy-Tokens"],
        aliases: ["clojars-api-token"],
        failing: (".env", "CLOJARS_PASSWORD=CLOJARS_0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn\n"),
        passing: (".env", "CLOJARS_PASSWORD=${CLOJARS_PASSWORD}\n"),
        detect: {
            keywords: &["clojars_"],
            pattern: r"\b(?P<secret>CLOJARS_[a-z0-9]{60})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/crates-io-token",
        title: "No crates.io API token is committed",
        what: "a crates.io API token",
        grants: "A crates.io API token (`cio…`) publishes and yanks versions of its owner's \
            crates, within its scopes.",
        rotate: "revoke it under Account settings → API tokens on crates.io, and publish with \
            trusted publishing",
        references: ["https://doc.rust-lang.org/cargo/reference/registry-authentication.html"],
        aliases: [],
        failing: ("credentials.toml", "[registry]\ntoken = \"cio0123456789abcdefghijklmnopqrstuv\"\n"),
        passing: ("credentials.toml", "[registry]\nglobal-credential-providers = [\"cargo:token\"]\n"),
        detect: {
            keywords: &[],
            pattern: r"\b(?P<secret>cio[A-Za-z0-9]{32})\b",
            reach: Reach::File,
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/packagist-token",
        title: "No Private Packagist token is committed",
        what: "a Private Packagist token",
        grants: "A Private Packagist token (`packagist_…`) installs, and for update tokens \
            changes, the organisation's private Composer packages.",
        rotate: "delete the token in the organisation's Settings → Tokens and create a new \
            one",
        references: ["https://packagist.com/docs/composer-authentication#token-format"],
        aliases: ["private-packagist-token"],
        failing: ("auth.json", "{\"http-basic\": {\"repo.packagist.com\": {\"username\": \"token\", \"password\": \"packagist_ort_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123\"}}}\n"),
        passing: ("auth.json", "{}\n"),
        detect: {
            keywords: &["packagist_"],
            pattern: r"\b(?P<secret>packagist_(?:uut|ort|out)_[a-f0-9]{68})\b",
        },
    },
    secret_rule! {
        id: "secrets/artifactory-api-key",
        title: "No JFrog Artifactory API key is committed",
        what: "a JFrog Artifactory API key",
        grants: "An Artifactory API key (`AKCp…`) acts as its user on the repositories it \
            can read and deploy to.",
        rotate: "revoke the key in the JFrog Platform under the user's profile and move to \
            access tokens",
        references: ["https://jfrog.com/help/r/jfrog-platform-administration-documentation/api-key"],
        aliases: [],
        failing: (".env", "ARTIFACTORY_API_KEY=AKCp0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\n"),
        passing: (".env", "ARTIFACTORY_API_KEY=${ARTIFACTORY_API_KEY}\n"),
        detect: {
            keywords: &["akcp"],
            pattern: r"\b(?P<secret>AKCp[A-Za-z0-9]{60,80})\b",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/artifactory-reference-token",
        title: "No JFrog reference token is committed",
        what: "a JFrog reference token",
        grants: "A JFrog reference token (`cmVmdGtu…`) is a short handle for an access token: \
            it reads and deploys artifacts with that token's scope.",
        rotate: "revoke the access token behind it in the JFrog Platform's Access Tokens page",
        references: ["https://jfrog.com/help/r/jfrog-platform-administration-documentation/access-tokens"],
        aliases: [],
        failing: (".env", "JFROG_TOKEN=cmVmdGtuOjAxOj0123456789abcdefghijklmnopqrstuvwxyzABCDEF\n"),
        passing: (".env", "JFROG_TOKEN=${JFROG_TOKEN}\n"),
        detect: {
            keywords: &["cmvmdgtuojaxoj"],
            pattern: r"\b(?P<secret>cmVmdGtuOjAxOj[A-Za-z0-9]{40,})",
            min_entropy: 4.0,
        },
    },
    secret_rule! {
        id: "secrets/sonarqube-token",
        title: "No SonarQube token is committed",
        what: "a SonarQube token",
        grants: "A SonarQube user, project analysis or global analysis token (`squ_…`, \
            `sqp_…`, `sqa_…`) reads the source and findings of the projects it can analyse.",
        rotate: "revoke it under My Account → Security (or Administration for global \
            tokens)",
        references: ["https://docs.sonarsource.com/sonarqube-server/latest/user-guide/managing-tokens/"],
        aliases: [],
        failing: ("sonar-project.properties", "sonar.token=squ_0123456789abcdef0123456789abcdef01234567\n"),
        passing: ("sonar-project.properties", "sonar.projectKey=shop\n"),
        detect: {
            keywords: &["squ_", "sqp_", "sqa_"],
            pattern: r"\b(?P<secret>sq[pua]_[a-f0-9]{40})\b",
        },
    },
    secret_rule! {
        id: "secrets/circleci-token",
        title: "No CircleCI API token is committed",
        what: "a CircleCI API token",
        grants: "A CircleCI personal or project token (`CCIPAT_…`, `CCIPRJ_…`) triggers \
            pipelines and reads their logs and artifacts; a personal token acts as its user \
            on every followed project.",
        rotate: "delete the token under User settings → Personal API tokens (or the \
            project's API permissions)",
        references: ["https://circleci.com/docs/managing-api-tokens/"],
        aliases: [],
        failing: (".env", "CIRCLECI_TOKEN=CCIPAT_0123456789abcdefghijkl_0123456789abcdef0123456789abcdef01234567\n"),
        passing: (".env", "CIRCLECI_TOKEN=${CIRCLECI_TOKEN}\n"),
        detect: {
            keywords: &["ccipat_", "cciprj_"],
            pattern: r"\b(?P<secret>CCIP(?:AT|RJ)_[A-Za-z0-9]{22}_[a-f0-9]{40})\b",
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/buildkite-token",
        title: "No Buildkite API access token is committed",
        what: "a Buildkite API access token",
        grants: "A Buildkite user access token (`bkua_…`) triggers builds and reads their \
            logs and artifacts in the organisations it was granted.",
        rotate: "revoke it under Personal settings → API Access Tokens",
        references: ["https://buildkite.com/docs/apis/managing-api-tokens"],
        aliases: [],
        failing: (".env", "BUILDKITE_API_TOKEN=bkua_0123456789abcdef0123456789abcdef01234567\n"),
        passing: (".env", "BUILDKITE_API_TOKEN=${BUILDKITE_API_TOKEN}\n"),
        detect: {
            keywords: &["bkua_"],
            pattern: r"\b(?P<secret>bkua_[a-f0-9]{40})\b",
        },
    },
    secret_rule! {
        id: "secrets/octopus-deploy-api-key",
        title: "No Octopus Deploy API key is committed",
        what: "an Octopus Deploy API key",
        grants: "An Octopus Deploy API key (`API-…`) acts as its user: it creates releases \
            and deploys them to every environment the user may deploy to.",
        rotate: "revoke the key under the user's Profile → My API Keys",
        references: ["https://octopus.com/docs/octopus-rest-api/how-to-create-an-api-key"],
        aliases: [],
        failing: (".env", "OCTOPUS_API_KEY=API-ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"),
        passing: (".env", "OCTOPUS_API_KEY=${OCTOPUS_API_KEY}\n"),
        detect: {
            keywords: &[],
            pattern: r"\b(?P<secret>API-[A-Z0-9]{25,32})\b",
            reach: Reach::File,
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/harness-token",
        title: "No Harness access token is committed",
        what: "a Harness access token",
        grants: "A Harness personal access or service account token (`pat.…`, `sat.…`) \
            runs pipelines and changes their secrets and connectors within its roles.",
        rotate: "delete the token under the user's (or service account's) API keys in \
            Harness",
        references: ["https://developer.harness.io/docs/platform/automation/api/add-and-manage-api-keys/"],
        aliases: [],
        failing: (".env", "HARNESS_API_KEY=pat.0123456789abcdefghijkl.0123456789abcdef01234567.0123456789abcdefghij\n"),
        passing: (".env", "HARNESS_API_KEY=${HARNESS_API_KEY}\n"),
        detect: {
            keywords: &[],
            pattern: r"\b(?P<secret>[ps]at\.[A-Za-z0-9_-]{22}\.[a-f0-9]{24}\.[A-Za-z0-9]{20})\b",
            reach: Reach::File,
            min_entropy: 3.5,
        },
    },
    secret_rule! {
        id: "secrets/postman-api-key",
        title: "No Postman API key is committed",
        what: "a Postman API key",
        grants: "A Postman API key (`PMAK-…`) reads and changes its user's collections, \
            environments and their stored credentials.",
        rotate: "revoke the key under Settings → API keys in Postman",
        references: ["https://learning.postman.com/docs/developer/postman-api/authentication/"],
        aliases: ["postman-api-token"],
        failing: (".env", "POSTMAN_API_KEY=PMAK-0123456789abcdef01234567-0123456789abcdef0123456789abcdef01\n"),
        passing: (".env", "POSTMAN_API_KEY=${POSTMAN_API_KEY}\n"),
        detect: {
            keywords: &["pmak-"],
            pattern: r"\b(?P<secret>PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
        },
    },
];
