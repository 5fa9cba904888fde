//! The gRPC services, generated from `proto/*.proto` by `build.rs`, and the
//! conversions between their messages and the contract's types: the generic
//! `flexi.Worker/Call` (a [`Call`] in, an [`Answer`] out) and the Go original's
//! `logs.LogService/WriteLog`. A message
//! becomes a contract type only through its checks ([`TryFrom`]), as JSON does.
//!
//! ## Layout
//! - `convert`: the conversions, each message to its contract type through
//!   its checks, and back.
//! - [`codec`]: the generated services' codec.

mod convert;
#[cfg(test)]
mod tests;

/// A module per protobuf package, with the code `build.rs` generated for it.
macro_rules! packages {
    ($($(#[$doc:meta])* $package:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[allow(missing_docs, clippy::all)]
        pub mod $package {
            include!(concat!(env!("OUT_DIR"), "/", stringify!($package), ".rs"));
        }
    )*};
}

packages!(
    /// The original `logs.proto`: package `logs`, `LogService.WriteLog`.
    logs,
    /// `flexi.Worker/Call`: every worker, every action.
    flexi,
);

/// Why a request message is not a valid call (answered as `INVALID_ARGUMENT`).
pub type Invalid = String;

/// The generated services' codec (`build.rs` names it): prost's, except that a
/// message that does not decode is the sender's fault, `INVALID_ARGUMENT`,
/// where prost's codec says `INTERNAL` (the bytes came from outside; nothing
/// inside failed). Clients use it too; our workers never send such a message.
pub mod codec {
    use tonic::{
        Status,
        codec::{BufferSettings, DecodeBuf, Decoder},
    };
    use tonic_prost::{ProstCodec, ProstDecoder};

    /// [`ProstCodec`] with [`InvalidArgument`] decoding.
    #[derive(Debug, Default)]
    pub struct Codec<T, U>(ProstCodec<T, U>);

    impl<T, U> tonic::codec::Codec for Codec<T, U>
    where
        T: prost::Message + Send + 'static,
        U: prost::Message + Default + Send + 'static,
    {
        type Encode = T;
        type Decode = U;
        type Encoder = <ProstCodec<T, U> as tonic::codec::Codec>::Encoder;
        type Decoder = InvalidArgument<U>;

        fn encoder(&mut self) -> Self::Encoder {
            self.0.encoder()
        }

        fn decoder(&mut self) -> Self::Decoder {
            InvalidArgument(self.0.decoder())
        }
    }

    /// prost's decoder whose failures are `INVALID_ARGUMENT`.
    #[derive(Debug)]
    pub struct InvalidArgument<U>(ProstDecoder<U>);

    impl<U: prost::Message + Default> Decoder for InvalidArgument<U> {
        type Item = U;
        type Error = Status;

        fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
            self.0.decode(buf).map_err(|status| {
                Status::invalid_argument(format!("undecodable message: {}", status.message()))
            })
        }

        fn buffer_settings(&self) -> BufferSettings {
            self.0.buffer_settings()
        }
    }
}
