//! [`TestMail`]: a mail service on port 0 sending to the SMTP catcher, with an
//! AMQP namespace of its own, and typed ways to call it.

use std::time::Duration;

use clients::{amqp::AmqpClient, grpc::GrpcWorkers, rpc::RpcWorkers};
use flexi_mail::{Application, Settings};
use protocol::{Call, MailPayload, PerWorker, Worker};
use runtime::{service::Service, worker::Ports};
use testkit::{Running, TestAmqp};

/// A running mail service.
pub struct TestMail {
    /// Its bound ports.
    pub ports: Ports,
    /// Its AMQP namespace (its request queue is `mail_requests.<namespace>`).
    pub amqp: TestAmqp,
    running: Running,
}

impl TestMail {
    /// A service sending to the SMTP catcher, with `tweak` applied to its settings.
    pub async fn spawn(tweak: impl FnOnce(&mut Settings)) -> Self {
        runtime::telemetry::init_for_tests();
        let amqp = TestAmqp::new();
        let (host, port) = testkit::smtp_addr();
        let mut settings = Settings::from_env().expect("settings");
        settings.server.on_any_port();
        settings.server.amqp.amqp_url = testkit::amqp_url();
        settings.server.amqp.amqp_namespace = amqp.namespace.clone();
        settings.mail_host = host;
        settings.mail_port = port;
        settings.smtp_timeout_ms = 1000;
        tweak(&mut settings);
        let app = Application::build(settings).await.expect("builds");
        let ports = app.ports();
        let running = Running::spawn(|stop| app.run_until_stopped(stop));
        Self {
            ports,
            amqp,
            running,
        }
    }

    /// `http://127.0.0.1:<http port>`.
    pub fn http_url(&self) -> String {
        testkit::http_url(self.ports.http)
    }

    /// The service's address for one transport (the other workers: none).
    fn endpoints(address: String) -> PerWorker<String> {
        PerWorker {
            mail: address,
            ..PerWorker::default()
        }
    }

    /// A tarpc client of this service.
    pub fn rpc(&self, timeout: Duration) -> RpcWorkers {
        RpcWorkers::new(&Self::endpoints(testkit::local(self.ports.rpc)), timeout)
    }

    /// A gRPC client of this service.
    pub fn grpc(&self, timeout: Duration) -> GrpcWorkers {
        let url = testkit::http_url(self.ports.grpc);
        GrpcWorkers::new(&Self::endpoints(url), timeout).expect("urls")
    }

    /// An AMQP client of this service's namespace, once the service consumes
    /// its request queue.
    pub async fn amqp(&self, timeout: Duration) -> AmqpClient {
        self.amqp.wait_until_served(Worker::Mail).await;
        AmqpClient::new(
            testkit::amqp_url(),
            self.amqp.names.clone(),
            "test",
            1,
            timeout,
        )
    }

    /// Stops the service (it must exit cleanly) and deletes its AMQP namespace.
    pub async fn stop(self) {
        self.running.stop().await;
        self.amqp.delete().await;
    }
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
