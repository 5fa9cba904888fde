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

/// The default sender: the configured name and address.
#[derive(Debug, Clone)]
pub struct Sender {
    /// `FROM_NAME`.
    pub name: String,
    /// `FROM_ADDRESS`.
    pub address: lettre::Address,
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
    let from_address = match &mail.from {
        None => sender.address.clone(),
        Some(from) => address(from, "from")?,
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

    Message::builder()
        .from(Mailbox::new(Some(sender.name.clone()), from_address))
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
        }
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
