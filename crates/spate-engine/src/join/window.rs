//! Window joins: tag, union, key, window, and pair up each window's two sides.

use std::time::Duration;

use crate::record::{Data, Key, Window};
use crate::stream::DataStream;
use crate::window::WindowAssigner;

/// An element of either side of a window join, as the joined window holds them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum JoinSide<A, B> {
    /// From the first (left) stream.
    Left(A),
    /// From the second (right) stream.
    Right(B),
}

/// Two streams to be window-joined; choose the key of the first with [`where_key`](Self::where_key).
pub struct JoinedStreams<A, B> {
    first: DataStream<A>,
    second: DataStream<B>,
}

/// A window join with the first stream's key chosen; choose the second's with [`equal_to`](Self::equal_to).
pub struct JoinWhere<A, B, KA> {
    first: DataStream<A>,
    second: DataStream<B>,
    ka: KA,
}

/// A window join with both keys chosen; choose the windows with [`window`](Self::window).
pub struct WindowJoinKeys<A, B, KA, KB> {
    first: DataStream<A>,
    second: DataStream<B>,
    ka: KA,
    kb: KB,
}

/// A fully specified window join; finish it with [`apply`](Self::apply).
pub struct WindowJoin<A, B, KA, KB> {
    keys: WindowJoinKeys<A, B, KA, KB>,
    assigner: WindowAssigner,
    allowed_lateness: Duration,
}

macro_rules! opaque_debug {
    ($($ty:ident < $($g:ident),* >),*) => {$(
        impl<$($g),*> std::fmt::Debug for $ty<$($g),*> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }
    )*};
}
opaque_debug!(JoinedStreams<A, B>, JoinWhere<A, B, KA>, WindowJoinKeys<A, B, KA, KB>, WindowJoin<A, B, KA, KB>);

impl<A: Data> DataStream<A> {
    /// Starts a window join with `other` (Flink's `a.join(b)`).
    pub fn join<B: Data>(&self, other: &DataStream<B>) -> JoinedStreams<A, B> {
        JoinedStreams {
            first: self.clone(),
            second: other.clone(),
        }
    }
}

impl<A: Data, B: Data> JoinedStreams<A, B> {
    /// The key of the first stream (Flink's `where`).
    pub fn where_key<K: Key, KA>(self, ka: KA) -> JoinWhere<A, B, KA>
    where
        KA: Fn(&A) -> K + Clone + Send + 'static,
    {
        JoinWhere {
            first: self.first,
            second: self.second,
            ka,
        }
    }
}

impl<A: Data, B: Data, KA: Clone + Send + 'static> JoinWhere<A, B, KA> {
    /// The key of the second stream; it must equal the first's for elements to pair.
    pub fn equal_to<K: Key, KB>(self, kb: KB) -> WindowJoinKeys<A, B, KA, KB>
    where
        KA: Fn(&A) -> K,
        KB: Fn(&B) -> K + Clone + Send + 'static,
    {
        WindowJoinKeys {
            first: self.first,
            second: self.second,
            ka: self.ka,
            kb,
        }
    }
}

impl<A: Data, B: Data, KA, KB> WindowJoinKeys<A, B, KA, KB> {
    /// The windows in which elements pair up (their default trigger fires them).
    pub fn window(self, assigner: WindowAssigner) -> WindowJoin<A, B, KA, KB> {
        WindowJoin {
            keys: self,
            assigner,
            allowed_lateness: Duration::ZERO,
        }
    }
}

impl<A, B, K, KA, KB> WindowJoin<A, B, KA, KB>
where
    A: Data + crate::record::StateData,
    B: Data + crate::record::StateData,
    K: Key,
    KA: Fn(&A) -> K + Clone + Send + 'static,
    KB: Fn(&B) -> K + Clone + Send + 'static,
{
    /// Keeps windows for `lateness` after they fired; a late element re-fires its window, which
    /// emits the window's pairs again (as in Flink).
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.allowed_lateness = lateness;
        self
    }

    /// Calls `f` for every pair of a first-stream and a second-stream element with equal keys
    /// in the same window when the window fires.
    pub fn apply<O: Data, F>(self, f: F) -> DataStream<O>
    where
        F: FnMut(&A, &B) -> O + Clone + Send + 'static,
    {
        let WindowJoinKeys {
            first,
            second,
            ka,
            kb,
        } = self.keys;
        let left = first.map(JoinSide::<A, B>::Left).name("join-left");
        let right = second.map(JoinSide::<A, B>::Right).name("join-right");
        let mut f = f;
        left.union(&[right])
            .name("join-union")
            .key_by(move |e: &JoinSide<A, B>| match e {
                JoinSide::Left(a) => ka(a),
                JoinSide::Right(b) => kb(b),
            })
            .window(self.assigner)
            .allowed_lateness(self.allowed_lateness)
            .process(
                move |_: &K, _: &Window, elements: &[JoinSide<A, B>], out: &mut Vec<O>| {
                    let mut rights: Vec<&B> = Vec::new();
                    for e in elements {
                        if let JoinSide::Right(b) = e {
                            rights.push(b);
                        }
                    }
                    if rights.is_empty() {
                        return;
                    }
                    for e in elements {
                        if let JoinSide::Left(a) = e {
                            out.extend(rights.iter().map(|b| f(a, b)));
                        }
                    }
                },
            )
            .name("window-join")
    }
}
