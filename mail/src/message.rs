//! Validation and rendering: a [`MailPayload`] becomes a lettre [`Message`] with
//! an HTML part (template + inlined CSS) and a plain-text alternative.

use askama::Template;
use lettre::{
    Message,
    message::{Mailbox, MultiPart},
};
use protocol::MailPayload;

use crate::error::MailError;

/// The HTML body (`templates/mail.html`); its `<style>` is inlined before sending.
#[derive(Template)]
#[template(path = "mail.html")]
struct HtmlBody<'a> {
    subject: &'a str,
    message: &'a str,
}

/// The plain-text alternative (`templates/mail.plain.txt`).
#[derive(Template)]
#[template(path = "mail.plain.txt")]
struct PlainBody<'a> {
    message: &'a str,
}

/// The sender of every mail: the configured name, address and rules.
#[derive(Debug, Clone)]
pub struct Sender {
    /// `FROM_NAME`.
    pub name: String,
    /// `FROM_ADDRESS`.
    pub address: lettre::Address,
    /// `MAIL_ALLOWED_DOMAINS`, lower-case: the domains a caller's `from` may be
    /// of. Empty: any, as the original.
    pub allowed_domains: Vec<String>,
    /// `MAIL_RECIPIENT_DOMAINS`, lower-case: the domains mail may be sent to.
    /// Empty: any, as the original.
    pub recipient_domains: Vec<String>,
}

impl Sender {
    /// Whether a caller may send as `from`: any address when no domain is
    /// listed, otherwise only addresses of a listed domain (exactly: not its
    /// subdomains).
    pub fn may_send_as(&self, from: &lettre::Address) -> bool {
        listed(&self.allowed_domains, from)
    }

    /// Whether mail may go to `to`: as [`Sender::may_send_as`], with
    /// `recipient_domains`.
    pub fn may_send_to(&self, to: &lettre::Address) -> bool {
        listed(&self.recipient_domains, to)
    }
}

/// Whether `address` is of one of `domains` (exactly), or `domains` is empty.
fn listed(domains: &[String], address: &lettre::Address) -> bool {
    domains.is_empty()
        || domains
            .iter()
            .any(|domain| domain.eq_ignore_ascii_case(address.domain()))
}

/// Renders the mail (its addresses were checked when the payload was parsed).
/// Nothing is sent yet.
pub fn build(mail: &MailPayload, sender: &Sender) -> Result<Message, MailError> {
    let address = |email: &protocol::Email, field: &str| {
        email
            .as_str()
            .parse::<lettre::Address>()
            .map_err(|e| MailError::Invalid(format!("mail.{field}: {e}")))
    };
    let to = address(&mail.to, "to")?;
    if !sender.may_send_to(&to) {
        return Err(MailError::Invalid(format!(
            "mail.to: mail to {} is not sent from here (MAIL_RECIPIENT_DOMAINS)",
            protocol::text::quote(to.domain())
        )));
    }
    // A `from` the rules do not allow is not the sender: the mail goes out from
    // the configured address, and answers to it reach the caller's.
    let (from_address, reply_to) = match &mail.from {
        None => (sender.address.clone(), None),
        Some(from) => match address(from, "from")? {
            from if sender.may_send_as(&from) => (from, None),
            from => (sender.address.clone(), Some(from)),
        },
    };

    let html = HtmlBody {
        subject: mail.subject.as_str(),
        message: &mail.message,
    }
    .render()
    .map_err(MailError::Render)?;
    let html = css_inline::inline(&html).map_err(MailError::Inline)?;
    let plain = PlainBody {
        message: &mail.message,
    }
    .render()
    .map_err(MailError::Render)?;

    let mut builder =
        Message::builder().from(Mailbox::new(Some(sender.name.clone()), from_address));
    if let Some(reply_to) = reply_to {
        builder = builder.reply_to(Mailbox::new(None, reply_to));
    }
    builder
        .to(Mailbox::new(None, to))
        .subject(mail.subject.as_str())
        .multipart(MultiPart::alternative_plain_html(plain, html))
        .map_err(|e| MailError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender() -> Sender {
        Sender {
            name: "flexiconnect".into(),
            address: "noreply@example.com".parse().expect("valid"),
            allowed_domains: Vec::new(),
            recipient_domains: Vec::new(),
        }
    }

    fn headers(mail: &MailPayload, sender: &Sender) -> String {
        let message = build(mail, sender).expect("builds");
        let raw = String::from_utf8(message.formatted()).expect("utf-8");
        raw.split("\r\n\r\n").next().unwrap_or_default().to_owned()
    }

    #[test]
    fn without_allowed_domains_the_callers_from_is_the_sender_as_in_the_original() {
        let headers = headers(&mail("you@example.com", "ceo@bank.example"), &sender());
        assert!(
            headers.contains("From: flexiconnect <ceo@bank.example>"),
            "{headers}"
        );
        assert!(!headers.contains("Reply-To"), "{headers}");
    }

    #[test]
    fn a_from_outside_the_allowed_domains_becomes_reply_to_only() {
        let sender = Sender {
            allowed_domains: vec!["example.com".into()],
            ..sender()
        };
        for forged in [
            "ceo@bank.example",
            "me@mail.example.com",
            "me@example.com.evil",
        ] {
            let headers = headers(&mail("you@example.com", forged), &sender);
            assert!(
                headers.contains("From: flexiconnect <noreply@example.com>"),
                "{forged}: {headers}"
            );
            assert!(
                headers.contains(&format!("Reply-To: {forged}")),
                "{headers}"
            );
        }
        let headers = headers(&mail("you@example.com", "Me@EXAMPLE.com"), &sender);
        assert!(
            headers.contains("From: flexiconnect <Me@EXAMPLE.com>"),
            "{headers}"
        );
        assert!(!headers.contains("Reply-To"), "{headers}");
    }

    fn mail(to: &str, from: &str) -> MailPayload {
        MailPayload {
            from: (!from.is_empty()).then(|| from.parse().expect("valid from")),
            to: to.parse().expect("valid to"),
            subject: "Hello".parse().expect("valid subject"),
            message: "<b>hi</b> & bye".into(),
        }
    }

    #[test]
    fn a_recipient_outside_the_recipient_domains_is_refused() {
        let sender = Sender {
            recipient_domains: vec!["example.com".into()],
            ..sender()
        };
        let refused = build(&mail("victim@elsewhere.example", "me@example.com"), &sender);
        let error = refused.expect_err("refused").to_string();
        assert!(error.contains("MAIL_RECIPIENT_DOMAINS"), "{error}");
        assert!(build(&mail("you@EXAMPLE.com", "me@example.com"), &sender).is_ok());
        assert!(
            build(
                &mail("victim@elsewhere.example", "me@example.com"),
                &self::sender()
            )
            .is_ok()
        );
    }

    #[test]
    fn renders_both_parts_with_inlined_css() {
        let message = build(&mail("you@example.com", ""), &sender()).expect("builds");
        let raw = String::from_utf8(message.formatted()).expect("utf-8");
        assert!(
            raw.contains("From: flexiconnect <noreply@example.com>"),
            "{raw}"
        );
        assert!(raw.contains("Content-Type: text/plain"), "{raw}");
        assert!(raw.contains("Content-Type: text/html"), "{raw}");
        assert!(
            raw.contains("style=3D") || raw.contains("style=\""),
            "CSS inlined: {raw}"
        );
    }
}
