//! [`spawn`]: a mail service on port 0 sending to the SMTP catcher, with an
//! AMQP namespace of its own (its typed clients are the [`TestWorker`]'s).

use flexi_mail::{Application, Settings};
use protocol::{Call, MailPayload, Worker};
use testkit::TestWorker;

/// A service sending to the SMTP catcher, with `tweak` applied to its settings.
pub async fn spawn(tweak: impl FnOnce(&mut Settings)) -> TestWorker {
    TestWorker::spawn::<Application>(Worker::Mail, |amqp| {
        let (host, port) = testkit::smtp_addr();
        let mut settings = Settings::from_env().expect("settings");
        testkit::serve_on_any_port(&mut settings.server, amqp);
        settings.mail_host = host;
        settings.mail_port = port;
        settings.smtp_timeout_ms = 1000;
        tweak(&mut settings);
        settings
    })
    .await
}

/// `Call::Mail` of a mail to `to` from the service's default sender.
pub fn mail(to: &str) -> Call {
    Call::Mail {
        mail: MailPayload {
            from: None,
            to: to.parse().expect("a valid address"),
            subject: "direct".parse().expect("a valid subject"),
            message: "hi".into(),
        },
    }
}
