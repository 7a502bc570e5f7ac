//! [`Silences`]: the thread-safe silence store with Alertmanager's create,
//! update-in-place-or-replace, expire, query, garbage-collection and gossip
//! merge rules, and an always-current label index for matching.
//!
//! All state sits behind one `RwLock`: matching and queries share it. A
//! change goes in three steps: it is worked out under the read lock, handed
//! to the optional [`SilenceSink`] (durable storage), and only when the sink
//! has accepted it applied under the write lock, which is therefore never
//! held across a disk write. A change the sink refuses leaves the store as
//! it was. Every change bumps [`Silences::version`].
//!
//! API changes to different silences run concurrently (the API awaits each
//! commit in its task, [`Silences::set_async`]), so that the sink can commit
//! them together; the silences a change touches are marked in flight
//! (see [`InFlight`]) and a change to one of them waits until that one is
//! applied or refused. Garbage collection, gossip merges and restores wait
//! until nothing is in flight and keep others out while they run.
//!
//! Times are passed in explicitly (`now`) so that behaviour is testable;
//! callers pass `Utc::now()`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::index::{MatcherIndex, Placement};
use super::validate::{is_go_zero, validate};
use super::{Silence, SilenceError, SilenceMatch, SilenceState, proto_size};
use crate::alert::{LabelSet, Timestamp};
use crate::matcher::{Matcher, ParseMode};

/// Settings of a [`Silences`] store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SilenceOptions {
    /// `--data.retention`: how long a silence is kept after it ended.
    pub retention: Duration,
    /// `--silences.max-silences`, counting expired silences too; 0 = none.
    pub max_silences: usize,
    /// `--silences.max-silence-size-bytes` (see [`proto_size`]); 0 = none.
    pub max_silence_size_bytes: usize,
    /// Label-name rule for validation (`classic-mode` → classic names).
    pub mode: ParseMode,
    /// `--log.silences`: log every create, update and expiry made here.
    pub log_changes: bool,
}

impl Default for SilenceOptions {
    /// Alertmanager's defaults: 120h retention, no limits, fallback mode.
    fn default() -> Self {
        SilenceOptions {
            retention: Duration::from_secs(120 * 3600),
            max_silences: 0,
            max_silence_size_bytes: 0,
            mode: ParseMode::Fallback,
            log_changes: false,
        }
    }
}

/// Makes the changes of a [`Silences`] store durable before they take
/// effect. Called without any of the store's locks held (matching and
/// other changes go on); changes to different silences may be persisted
/// concurrently, changes to one silence never are. It may block (or await)
/// a disk write and must not call back into the store.
pub trait SilenceSink: Send + Sync {
    /// Stores `saved` (created, updated, expired or merged silences) and
    /// deletes `removed` (garbage-collected ids) as one change, or says why
    /// it could not; then the store does not change either.
    fn persist(&self, saved: &[Arc<Silence>], removed: &[String]) -> Result<(), String>;

    /// [`SilenceSink::persist`] for a task: the API's changes await their
    /// commit without holding a thread, so that the commits of concurrent
    /// changes are made together. By default, the blocking call.
    fn persist_async(&self, saved: Vec<Arc<Silence>>, removed: Vec<String>) -> PersistFuture {
        let r = self.persist(&saved, &removed);
        Box::pin(std::future::ready(r))
    }
}

/// Hears of the changes made here (API, garbage collection), once they
/// are stored, to replicate them to peers; changes merged from peers are
/// not reported, so that nothing is published back in a loop. Must not
/// block or call back into the store.
pub trait SilenceGossip: Send + Sync {
    fn publish(&self, saved: &[Arc<Silence>], removed: &[String]);
}

/// Where a change comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Made here: reported to the gossip.
    Local,
    /// Merged from a peer or an imported snapshot.
    Merged,
}

/// What [`SilenceSink::persist_async`] returns.
pub type PersistFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>;

/// Number of silences per state (the `alertmanager_silences` gauge).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SilenceCounts {
    pub active: usize,
    pub pending: usize,
    pub expired: usize,
}

struct Entry {
    silence: Arc<Silence>,
    placement: Placement,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    index: MatcherIndex,
}

impl State {
    fn get(&self, id: &str) -> Option<Arc<Silence>> {
        self.entries.get(id).map(|e| Arc::clone(&e.silence))
    }

    /// Stores `s` under its id, replacing any previous version.
    fn put(&mut self, s: Arc<Silence>) {
        self.delete(&s.id);
        let placement = self.index.insert(&s);
        self.entries.insert(
            s.id.clone(),
            Entry {
                silence: Arc::clone(&s),
                placement,
            },
        );
    }

    fn delete(&mut self, id: &str) -> bool {
        match self.entries.remove(id) {
            Some(old) => {
                self.index.remove(id, &old.placement);
                true
            }
            None => false,
        }
    }
}

/// Silences whose change is on its way to the sink, and the new silences
/// among them (counted against `max_silences`).
#[derive(Default)]
pub struct InFlight {
    ids: std::collections::HashSet<String>,
    creates: usize,
}

/// The silences one change holds in flight; released (and waiters woken)
/// when dropped.
struct Claim<'a> {
    store: &'a Silences,
    ids: Vec<String>,
    creates: usize,
}

impl Claim<'_> {
    /// Takes the claimed silences out of flight (under the writer lock).
    fn release(&mut self, w: &mut InFlight) {
        for id in self.ids.drain(..) {
            w.ids.remove(&id);
        }
        w.creates -= std::mem::take(&mut self.creates);
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if self.ids.is_empty() && self.creates == 0 {
            return;
        }
        let mut w = self.store.lock_writer();
        self.release(&mut w);
        drop(w);
        self.store.settled.notify_all();
        self.store.settled_task.notify_waiters();
    }
}

/// A change worked out, with what it touches claimed.
struct Prepared<'a> {
    saved: Vec<Silence>,
    claim: Claim<'a>,
    /// The id the change answers with.
    id: String,
}

/// The silence store.
pub struct Silences {
    opts: SilenceOptions,
    retention: TimeDelta,
    state: RwLock<State>,
    /// What is in flight (see the module documentation).
    writer: Mutex<InFlight>,
    /// Signalled when a change leaves the flight (threads, tasks).
    settled: std::sync::Condvar,
    settled_task: tokio::sync::Notify,
    version: AtomicU64,
    sink: Option<Arc<dyn SilenceSink>>,
    gossip: std::sync::OnceLock<Arc<dyn SilenceGossip>>,
}

impl Silences {
    pub fn new(opts: SilenceOptions) -> Silences {
        let retention = TimeDelta::from_std(opts.retention).unwrap_or(TimeDelta::MAX);
        Silences {
            opts,
            retention,
            state: RwLock::new(State::default()),
            writer: Mutex::new(InFlight::default()),
            settled: std::sync::Condvar::new(),
            settled_task: tokio::sync::Notify::new(),
            version: AtomicU64::new(0),
            sink: None,
            gossip: std::sync::OnceLock::new(),
        }
    }

    /// Reports every later local change to `gossip` (set once, when the
    /// cluster starts).
    pub fn set_gossip(&self, gossip: Arc<dyn SilenceGossip>) {
        if self.gossip.set(gossip).is_err() {
            tracing::warn!("silence gossip already set");
        }
    }

    /// Every silence in the store, whatever its state.
    pub fn all(&self) -> Vec<Arc<Silence>> {
        self.read()
            .entries
            .values()
            .map(|e| e.silence.clone())
            .collect()
    }

    /// Reports every later change to `sink`.
    pub fn with_sink(mut self, sink: Arc<dyn SilenceSink>) -> Silences {
        self.sink = Some(sink);
        self
    }

    pub fn options(&self) -> &SilenceOptions {
        &self.opts
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counter bumped by every change (set, expire, merge, gc); callers can
    /// key caches on it.
    pub fn version(&self) -> u64 {
        self.version.load(AtomicOrdering::Acquire)
    }

    /// When `s` may be garbage-collected: `ends_at + retention`.
    fn expires_at(&self, s: &Silence) -> Timestamp {
        s.ends_at
            .checked_add_signed(self.retention)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    fn lock_writer(&self) -> MutexGuard<'_, InFlight> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The writer lock, once `id` is not in flight.
    fn lock_for(&self, id: &str) -> MutexGuard<'_, InFlight> {
        let mut w = self.lock_writer();
        while !id.is_empty() && w.ids.contains(id) {
            w = self.settled.wait(w).unwrap_or_else(PoisonError::into_inner);
        }
        w
    }

    /// [`Silences::lock_for`] for a task: waits without holding a thread
    /// (the change in flight may need this very thread to finish).
    async fn lock_for_async(&self, id: &str) -> MutexGuard<'_, InFlight> {
        loop {
            let notified = self.settled_task.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            {
                let w = self.lock_writer();
                if id.is_empty() || !w.ids.contains(id) {
                    return w;
                }
            }
            notified.await;
        }
    }

    /// The writer lock, once nothing is in flight; held, it keeps every
    /// other change out.
    fn lock_exclusive(&self) -> MutexGuard<'_, InFlight> {
        let mut w = self.lock_writer();
        while !w.ids.is_empty() {
            w = self.settled.wait(w).unwrap_or_else(PoisonError::into_inner);
        }
        w
    }

    /// Marks the silences of `saved` in flight (under the writer lock `w`)
    /// and returns the claim that releases them.
    fn claim(&self, w: &mut InFlight, saved: &[Silence], creates: usize) -> Claim<'_> {
        let ids: Vec<String> = saved.iter().map(|s| s.id.clone()).collect();
        for id in &ids {
            w.ids.insert(id.clone());
        }
        w.creates += creates;
        Claim {
            store: self,
            ids,
            creates,
        }
    }

    /// Hands a change worked out under the writer mutex to the sink, then
    /// applies it and bumps the version; a refused change is not applied.
    fn apply(
        &self,
        saved: Vec<Silence>,
        removed: Vec<String>,
        origin: Origin,
    ) -> Result<(), SilenceError> {
        self.apply_claimed(saved, removed, None, origin)
    }

    /// [`Silences::apply`] for a change holding `claim`: released together
    /// with the change's application, so that a silence is counted either
    /// in flight or stored, never both.
    fn apply_claimed(
        &self,
        saved: Vec<Silence>,
        removed: Vec<String>,
        claim: Option<Claim<'_>>,
        origin: Origin,
    ) -> Result<(), SilenceError> {
        if saved.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let saved: Vec<Arc<Silence>> = saved.into_iter().map(Arc::new).collect();
        if let Some(sink) = &self.sink {
            sink.persist(&saved, &removed)
                .map_err(SilenceError::Storage)?;
        }
        self.publish(&saved, &removed, origin);
        self.install(saved, removed, claim);
        Ok(())
    }

    fn publish(&self, saved: &[Arc<Silence>], removed: &[String], origin: Origin) {
        if origin == Origin::Local
            && let Some(g) = self.gossip.get()
        {
            g.publish(saved, removed);
        }
    }

    /// [`Silences::apply_claimed`], awaiting the sink.
    async fn apply_claimed_async(
        &self,
        saved: Vec<Silence>,
        removed: Vec<String>,
        claim: Claim<'_>,
    ) -> Result<(), SilenceError> {
        if saved.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let saved: Vec<Arc<Silence>> = saved.into_iter().map(Arc::new).collect();
        if let Some(sink) = &self.sink {
            sink.persist_async(saved.clone(), removed.clone())
                .await
                .map_err(SilenceError::Storage)?;
        }
        self.publish(&saved, &removed, Origin::Local);
        self.install(saved, removed, Some(claim));
        Ok(())
    }

    /// Applies a stored change to memory and releases its claim.
    fn install(&self, saved: Vec<Arc<Silence>>, removed: Vec<String>, claim: Option<Claim<'_>>) {
        let mut writer = claim.as_ref().map(|_| self.lock_writer());
        let mut st = self.write();
        for id in &removed {
            st.delete(id);
        }
        for s in saved {
            st.put(s);
        }
        drop(st);
        self.version.fetch_add(1, AtomicOrdering::AcqRel);
        if let (Some(w), Some(mut c)) = (writer.as_mut(), claim) {
            c.release(w);
        }
        drop(writer);
        self.settled.notify_all();
        self.settled_task.notify_waiters();
    }

    fn check_size(&self, s: &Silence) -> Result<(), SilenceError> {
        let max = self.opts.max_silence_size_bytes;
        if max == 0 {
            return Ok(());
        }
        let n = proto_size(s, self.opts.retention);
        if n > max {
            return Err(SilenceError::Limit(format!(
                "silence exceeded maximum size: {n} bytes (limit: {max} bytes)"
            )));
        }
        Ok(())
    }

    /// Creates a silence (empty `id`) or changes the silence `id`, as
    /// Alertmanager v0.34's `Silences.Set`; returns the id now holding it.
    ///
    /// A zero `starts_at` means now. After validation, a silence with an id
    /// is updated **in place** if its matchers are identical (same order)
    /// and: it is active, the start is unchanged (to the second) and the new
    /// end is not before `now`; or it is pending and the new start is not
    /// before `now`. Otherwise (or for a new silence) a silence with a fresh
    /// UUIDv4 is created, its start moved up to `now` if earlier, and the
    /// previous silence, unless already expired, is expired — the history of
    /// what was silenced when is never rewritten. `max_silences` (expired
    /// silences count) applies only when a silence is added; the size limit
    /// always.
    ///
    /// Unlike upstream, an in-place update is never dropped for carrying the
    /// same `updated_at` as the stored version (upstream reuses its gossip
    /// merge, which ignores equal timestamps). 0.25 had no limits and
    /// validated after expiring the replaced silence.
    pub fn set(&self, s: Silence, now: Timestamp) -> Result<String, SilenceError> {
        let p = self.prepare_set(s, now)?;
        self.apply_claimed(p.saved, vec![], Some(p.claim), Origin::Local)?;
        Ok(p.id)
    }

    /// [`Silences::set`] for a task: the commit is awaited, not waited for
    /// on a thread.
    pub async fn set_async(&self, s: Silence, now: Timestamp) -> Result<String, SilenceError> {
        let s = self.checked(s, now)?;
        let writer = self.lock_for_async(&s.id).await;
        let p = self.prepare_set_locked(s, now, writer)?;
        self.apply_claimed_async(p.saved, vec![], p.claim).await?;
        Ok(p.id)
    }

    /// [`Silences::expire`] for a task.
    pub async fn expire_async(&self, id: &str, now: Timestamp) -> Result<(), SilenceError> {
        let writer = self.lock_for_async(id).await;
        let p = self.prepare_expire_locked(id, now, writer)?;
        self.apply_claimed_async(p.saved, vec![], p.claim).await
    }

    /// Works out [`Silences::set`]'s change and claims what it touches.
    fn prepare_set(&self, s: Silence, now: Timestamp) -> Result<Prepared<'_>, SilenceError> {
        let s = self.checked(s, now)?;
        let writer = self.lock_for(&s.id);
        self.prepare_set_locked(s, now, writer)
    }

    /// `s` with a zero start meaning now, validated.
    fn checked(&self, mut s: Silence, now: Timestamp) -> Result<Silence, SilenceError> {
        if is_go_zero(&s.starts_at) {
            s.starts_at = now;
        }
        validate(&s, self.opts.mode)?;
        Ok(s)
    }

    /// [`Silences::prepare_set`] with the writer lock held, once `s.id` is
    /// not in flight.
    fn prepare_set_locked(
        &self,
        mut s: Silence,
        now: Timestamp,
        mut writer: MutexGuard<'_, InFlight>,
    ) -> Result<Prepared<'_>, SilenceError> {
        let (prev, len) = {
            let st = self.read();
            let prev = if s.id.is_empty() {
                None
            } else {
                Some(st.get(&s.id).ok_or(SilenceError::NotFound)?)
            };
            (prev, st.entries.len() + writer.creates)
        };

        if let Some(prev) = &prev
            && can_update(prev, &s, now)
        {
            s.updated_at = now;
            self.check_size(&s)?;
            self.log_change("update silence", &s);
            let id = s.id.clone();
            let saved = vec![s];
            let claim = self.claim(&mut writer, &saved, 0);
            return Ok(Prepared { saved, claim, id });
        }

        let max = self.opts.max_silences;
        if max > 0 && len + 1 > max {
            return Err(SilenceError::Limit(format!(
                "exceeded maximum number of silences: {len} (limit: {max})"
            )));
        }
        s.id = uuid::Uuid::new_v4().to_string();
        if s.starts_at < now {
            s.starts_at = now;
        }
        s.updated_at = now;
        self.check_size(&s)?;
        self.log_change("create silence", &s);

        let id = s.id.clone();
        let mut saved: Vec<Silence> = prev.iter().filter_map(|p| expired(p, now)).collect();
        saved.push(s);
        let claim = self.claim(&mut writer, &saved, 1);
        Ok(Prepared { saved, claim, id })
    }

    /// Expires the silence `id` at `now` (the API's DELETE): an active one
    /// ends now, a pending one starts and ends now, an expired one is left
    /// alone (success). An unknown id is [`SilenceError::NotFound`].
    pub fn expire(&self, id: &str, now: Timestamp) -> Result<(), SilenceError> {
        let p = self.prepare_expire(id, now)?;
        self.apply_claimed(p.saved, vec![], Some(p.claim), Origin::Local)
    }

    fn prepare_expire(&self, id: &str, now: Timestamp) -> Result<Prepared<'_>, SilenceError> {
        let writer = self.lock_for(id);
        self.prepare_expire_locked(id, now, writer)
    }

    fn prepare_expire_locked(
        &self,
        id: &str,
        now: Timestamp,
        mut writer: MutexGuard<'_, InFlight>,
    ) -> Result<Prepared<'_>, SilenceError> {
        let prev = self.read().get(id).ok_or(SilenceError::NotFound)?;
        let saved: Vec<Silence> = expired(&prev, now).into_iter().collect();
        for x in &saved {
            self.log_change("expire silence", x);
        }
        let claim = self.claim(&mut writer, &saved, 0);
        Ok(Prepared {
            saved,
            claim,
            id: id.to_string(),
        })
    }

    /// `--log.silences`: Alertmanager's log line for a change made here.
    fn log_change(&self, what: &'static str, s: &Silence) {
        if !self.opts.log_changes {
            return;
        }
        let matchers: Vec<String> = std::iter::once(&s.matchers)
            .chain(&s.extra_matcher_sets)
            .flat_map(|set| set.iter())
            .map(|m| format!("{}{}{}", m.name(), m.op(), m.value()))
            .collect();
        tracing::info!(
            component = "silences",
            Id = %s.id,
            CreatedBy = %s.created_by,
            Comment = %s.comment,
            StartsAt = %s.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            EndsAt = %s.ends_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            Matchers = %matchers.join(","),
            "{what}"
        );
    }

    /// The silence `id`, if stored.
    pub fn get(&self, id: &str) -> Option<Silence> {
        self.read().get(id).map(|s| (*s).clone())
    }

    /// Number of stored silences, expired ones included.
    pub fn len(&self) -> usize {
        self.read().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All stored silences, by id.
    pub fn list(&self) -> Vec<Silence> {
        let mut out: Vec<Silence> = self
            .read()
            .entries
            .values()
            .map(|e| (*e.silence).clone())
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Everything, for persistence or a full gossip sync (same as
    /// [`Silences::list`]).
    pub fn snapshot(&self) -> Vec<Silence> {
        self.list()
    }

    /// The API's `GET /silences`: silences having, for each `filter`
    /// matcher, an identical matcher (name, type, value — not label
    /// matching), in the API's order (see [`sort_for_api`]).
    pub fn query(&self, filter: &[Matcher], now: Timestamp) -> Vec<Silence> {
        self.query_states(
            filter,
            &[
                SilenceState::Active,
                SilenceState::Pending,
                SilenceState::Expired,
            ],
            now,
        )
    }

    /// [`Silences::query`] restricted to silences whose [`Silence::state_at`]
    /// is in `states` (v0.34's `active`/`pending`/`expired` parameters,
    /// which use that state, not the printed one).
    pub fn query_states(
        &self,
        filter: &[Matcher],
        states: &[SilenceState],
        now: Timestamp,
    ) -> Vec<Silence> {
        let mut out: Vec<Silence> = self
            .read()
            .entries
            .values()
            .map(|e| &e.silence)
            .filter(|s| states.contains(&s.state_at(now)))
            .filter(|s| filter.iter().all(|f| s.matchers.iter().any(|m| m == f)))
            .map(|s| (**s).clone())
            .collect();
        sort_for_api(&mut out, now);
        out
    }

    /// Which active and pending silences match `labels` at `now` (absent
    /// labels read as `""`). Uses the index; reflects every change made
    /// before the call.
    pub fn mutes(&self, labels: &LabelSet, now: Timestamp) -> SilenceMatch {
        let mut res = SilenceMatch::default();
        let st = self.read();
        st.index.for_each_candidate(labels, |s| {
            let list = match s.state_at(now) {
                SilenceState::Active => &mut res.active,
                SilenceState::Pending => &mut res.pending,
                SilenceState::Expired => return,
            };
            if s.matches(labels) {
                list.push(s.id.clone());
            }
        });
        drop(st);
        res.active.sort_unstable();
        res.pending.sort_unstable();
        res
    }

    /// Silences per [`Silence::state_at`].
    pub fn counts(&self, now: Timestamp) -> SilenceCounts {
        let mut c = SilenceCounts::default();
        for e in self.read().entries.values() {
            match e.silence.state_at(now) {
                SilenceState::Active => c.active += 1,
                SilenceState::Pending => c.pending += 1,
                SilenceState::Expired => c.expired += 1,
            }
        }
        c
    }

    /// How many silences are matched by scanning rather than by index
    /// lookup (only negative or empty-accepting matchers).
    pub fn unindexed(&self) -> usize {
        self.read().index.residual_len()
    }

    /// Deletes silences whose retention is over (`ends_at + retention <=
    /// now`, as upstream's `expires_at` check); returns how many, or why
    /// the sink refused (then nothing was deleted; the next run retries).
    pub fn gc(&self, now: Timestamp) -> Result<usize, SilenceError> {
        let _writer = self.lock_exclusive();
        let dead: Vec<String> = self
            .read()
            .entries
            .values()
            .filter(|e| self.expires_at(&e.silence) <= now)
            .map(|e| e.silence.id.clone())
            .collect();
        let n = dead.len();
        self.apply(vec![], dead, Origin::Local)?;
        Ok(n)
    }

    /// Runs [`Silences::gc`] every `interval` (first run after one interval)
    /// on the current tokio runtime, until the task is aborted. A zero
    /// interval is refused, as upstream refuses to run maintenance.
    pub fn spawn_gc(self: Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        crate::maintenance::spawn_periodic("silence GC", interval, move || {
            // Off the runtime's threads: it waits for the changes in flight,
            // which need those threads to finish.
            let s = Arc::clone(&self);
            tokio::task::spawn_blocking(move || match s.gc(Utc::now()) {
                Ok(removed) => tracing::debug!(removed, "silence garbage collection done"),
                Err(e) => tracing::error!(err = %e, "silence garbage collection failed"),
            });
        })
    }

    /// Takes a silence from a peer or an imported snapshot, as upstream's
    /// gossip merge: ignored if its retention is already over (`ends_at +
    /// retention < now`) or if the stored version is not older (by
    /// `updated_at`); otherwise stored as is (no validation, no limits).
    /// Returns whether anything changed.
    pub fn merge(&self, remote: Silence, now: Timestamp) -> Result<bool, SilenceError> {
        if remote.id.is_empty() || self.expires_at(&remote) < now {
            return Ok(false);
        }
        let _writer = self.lock_exclusive();
        if let Some(prev) = self.read().entries.get(&remote.id)
            && prev.silence.updated_at >= remote.updated_at
        {
            return Ok(false);
        }
        self.apply(vec![remote], vec![], Origin::Merged)?;
        Ok(true)
    }

    /// How many silences a lookup for `labels` examines.
    #[cfg(test)]
    pub(super) fn candidates(&self, labels: &LabelSet) -> usize {
        let mut n = 0;
        self.read().index.for_each_candidate(labels, |_| n += 1);
        n
    }

    /// Loads persisted silences at startup with the rules of
    /// [`Silences::merge`] but without reporting them to the sink (they
    /// come from it). Bumps the version once; returns how many were taken.
    pub fn restore(&self, silences: impl IntoIterator<Item = Silence>, now: Timestamp) -> usize {
        let _writer = self.lock_exclusive();
        let mut st = self.write();
        let mut n = 0;
        for remote in silences {
            if remote.id.is_empty() || self.expires_at(&remote) < now {
                continue;
            }
            if let Some(prev) = st.entries.get(&remote.id)
                && prev.silence.updated_at >= remote.updated_at
            {
                continue;
            }
            st.put(Arc::new(remote));
            n += 1;
        }
        if n > 0 {
            self.version.fetch_add(1, AtomicOrdering::AcqRel);
        }
        n
    }

    /// Checks that every silence is filed exactly where its placement says
    /// and nothing else is in the index.
    #[cfg(test)]
    pub(super) fn assert_consistent(&self) {
        let st = self.read();
        let mut want = Vec::new();
        for (id, e) in &st.entries {
            assert_eq!(id, &e.silence.id);
            match &e.placement {
                Placement::Residual => want.push((None, id.clone())),
                Placement::Keyed { name, values } => {
                    for v in values {
                        want.push((Some((name.to_string(), v.to_string())), id.clone()));
                    }
                }
            }
        }
        let mut got = st.index.postings();
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }
}

/// `prev` expired at `now` (the API's DELETE): an active silence ends now, a
/// pending one starts and ends now; `None` for one already expired.
fn expired(prev: &Silence, now: Timestamp) -> Option<Silence> {
    let mut s = prev.clone();
    match prev.state_at(now) {
        SilenceState::Expired => return None,
        SilenceState::Active => s.ends_at = now,
        SilenceState::Pending => {
            s.starts_at = now;
            s.ends_at = now;
        }
    }
    s.updated_at = now;
    Some(s)
}

/// Whether `prev` may be changed into `next` in place at `now` without
/// rewriting what was silenced in the past (upstream's `canUpdate`).
fn can_update(prev: &Silence, next: &Silence, now: Timestamp) -> bool {
    if prev.matchers != next.matchers || prev.extra_matcher_sets != next.extra_matcher_sets {
        return false;
    }
    match prev.state_at(now) {
        SilenceState::Active => {
            prev.starts_at.timestamp() == next.starts_at.timestamp() && next.ends_at >= now
        }
        SilenceState::Pending => next.starts_at >= now,
        SilenceState::Expired => false,
    }
}

/// The API's order: active (soonest end first), then pending (soonest start
/// first), then expired (latest end first), by [`Silence::api_state_at`];
/// ties by id (upstream leaves them unordered).
pub fn sort_for_api(silences: &mut [Silence], now: Timestamp) {
    fn rank(s: SilenceState) -> u8 {
        match s {
            SilenceState::Active => 0,
            SilenceState::Pending => 1,
            SilenceState::Expired => 2,
        }
    }
    silences.sort_by(|a, b| {
        let (sa, sb) = (a.api_state_at(now), b.api_state_at(now));
        rank(sa)
            .cmp(&rank(sb))
            .then_with(|| match sa {
                SilenceState::Active => a.ends_at.cmp(&b.ends_at),
                SilenceState::Pending => a.starts_at.cmp(&b.starts_at),
                SilenceState::Expired => b.ends_at.cmp(&a.ends_at),
            })
            .then_with(|| a.id.cmp(&b.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::{MatchType, Matchers};
    use MatchType::*;
    use chrono::TimeZone;
    use std::sync::Mutex;

    fn t(secs: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap()
    }

    fn m(op: MatchType, name: &str, value: &str) -> Matcher {
        Matcher::new(op, name, value).unwrap()
    }

    fn sil(ms: Vec<Matcher>, start: i64, end: i64) -> Silence {
        Silence::new(Matchers::from(ms), t(start), t(end))
    }

    fn job(v: &str) -> Vec<Matcher> {
        vec![m(Equal, "job", v)]
    }

    fn store() -> Silences {
        Silences::new(SilenceOptions::default())
    }

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().copied().collect()
    }

    /// Records what the store persists; refuses while `fail` is set.
    #[derive(Default)]
    struct Recorder {
        log: Mutex<Vec<String>>,
        fail: std::sync::atomic::AtomicBool,
    }

    impl SilenceSink for Recorder {
        fn persist(&self, saved: &[Arc<Silence>], removed: &[String]) -> Result<(), String> {
            if self.fail.load(AtomicOrdering::SeqCst) {
                return Err("disk full".to_string());
            }
            let mut log = self.log.lock().unwrap();
            for id in removed {
                log.push(format!("removed {id}"));
            }
            for s in saved {
                log.push(format!(
                    "saved {} {}..{} @{}",
                    s.id,
                    s.starts_at.timestamp() - 1_700_000_000,
                    s.ends_at.timestamp() - 1_700_000_000,
                    s.updated_at.timestamp() - 1_700_000_000
                ));
            }
            Ok(())
        }
    }

    impl Recorder {
        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.log.lock().unwrap())
        }
    }

    #[test]
    fn a_refused_change_changes_nothing() {
        let rec = Arc::new(Recorder::default());
        let s = Silences::new(SilenceOptions::default()).with_sink(rec.clone());
        let id = s.set(sil(job("a"), 0, 100), t(0)).unwrap();
        rec.take();
        rec.fail.store(true, AtomicOrdering::SeqCst);
        let v = s.version();
        let before = s.list();
        assert_eq!(
            s.set(sil(job("b"), 0, 100), t(1)).unwrap_err(),
            SilenceError::Storage("disk full".into())
        );
        let mut upd = s.get(&id).unwrap();
        upd.ends_at = t(200);
        assert!(matches!(s.set(upd, t(1)), Err(SilenceError::Storage(_))));
        let mut repl = s.get(&id).unwrap();
        repl.matchers = Matchers::from(job("c"));
        assert!(matches!(s.set(repl, t(1)), Err(SilenceError::Storage(_))));
        assert!(matches!(s.expire(&id, t(1)), Err(SilenceError::Storage(_))));
        assert!(matches!(s.gc(t(1_000_000)), Err(SilenceError::Storage(_))));
        assert_eq!(s.version(), v);
        assert_eq!(s.list(), before);
        assert_eq!(
            s.mutes(&labels(&[("job", "a")]), t(2)).active,
            vec![id.clone()]
        );
        assert!(rec.take().is_empty());
        s.assert_consistent();
        rec.fail.store(false, AtomicOrdering::SeqCst);
        s.expire(&id, t(3)).unwrap();
        assert_eq!(rec.take(), [format!("saved {id} 0..3 @3")]);
    }

    #[test]
    fn create_assigns_uuid_and_moves_past_start_to_now() {
        let s = store();
        assert_eq!(s.version(), 0);
        let id = s.set(sil(job("a"), -100, 100), t(0)).unwrap();
        let u = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(u.get_version_num(), 4);
        assert_eq!(id, u.to_string(), "lower-case hyphenated");
        let got = s.get(&id).unwrap();
        assert_eq!(
            (got.starts_at, got.ends_at, got.updated_at),
            (t(0), t(100), t(0))
        );
        assert_eq!(s.version(), 1);

        // A future start is kept; a zero start means now.
        let id = s.set(sil(job("b"), 50, 100), t(0)).unwrap();
        assert_eq!(s.get(&id).unwrap().starts_at, t(50));
        let mut z = sil(job("c"), 0, 100);
        z.starts_at = crate::silence::go_zero_time();
        let id = s.set(z, t(7)).unwrap();
        assert_eq!(s.get(&id).unwrap().starts_at, t(7));
        assert_eq!(s.len(), 3);
        s.assert_consistent();
    }

    #[test]
    fn unknown_id_is_not_found_but_validation_comes_first() {
        let s = store();
        let mut x = sil(job("a"), 0, 10);
        x.id = "3c6c3a2e-0000-4000-8000-000000000000".to_string();
        assert_eq!(s.set(x.clone(), t(0)), Err(SilenceError::NotFound));
        x.matchers = Matchers::new();
        assert_eq!(
            s.set(x, t(0)).unwrap_err().to_string(),
            "invalid silence: matcher set 0 is empty"
        );
        assert_eq!(s.expire("nope", t(0)), Err(SilenceError::NotFound));
        assert_eq!(SilenceError::NotFound.to_string(), "silence not found");
        assert!(s.is_empty());
        assert_eq!(s.version(), 0);
    }

    #[test]
    fn active_silence_updates_in_place_or_is_replaced() {
        let s = store();
        let id = s.set(sil(job("a"), 0, 100), t(0)).unwrap();
        let now = t(50);

        // Same matchers, same start second (sub-second differences are
        // fine), later end, new comment: in place.
        let mut upd = s.get(&id).unwrap();
        upd.starts_at = t(0) + TimeDelta::milliseconds(500);
        upd.ends_at = t(200);
        upd.comment = "longer".to_string();
        assert_eq!(s.set(upd, now).unwrap(), id);
        let got = s.get(&id).unwrap();
        assert_eq!((got.ends_at, got.updated_at), (t(200), now));
        assert_eq!(got.comment, "longer");
        assert_eq!(got.starts_at, t(0) + TimeDelta::milliseconds(500));

        // Ending exactly now is still in place.
        let mut upd = s.get(&id).unwrap();
        upd.ends_at = now;
        assert_eq!(s.set(upd, now).unwrap(), id);
        assert_eq!(s.len(), 1);

        // Ending before now: replaced, and the old one ends now.
        let id = s.set(sil(job("b"), 0, 100), t(0)).unwrap();
        let mut upd = s.get(&id).unwrap();
        upd.ends_at = t(49);
        let new_id = s.set(upd, now).unwrap();
        assert_ne!(new_id, id);
        let old = s.get(&id).unwrap();
        assert_eq!(
            (old.starts_at, old.ends_at, old.updated_at),
            (t(0), now, now)
        );
        // As upstream, the new start moves to now even past the end.
        let new = s.get(&new_id).unwrap();
        assert_eq!((new.starts_at, new.ends_at), (now, t(49)));

        // A different start second: replaced.
        let id = s.set(sil(job("c"), 0, 100), t(0)).unwrap();
        let mut upd = s.get(&id).unwrap();
        upd.starts_at = t(1);
        let new_id = s.set(upd, now).unwrap();
        assert_ne!(new_id, id);
        assert_eq!(s.get(&id).unwrap().ends_at, now);
        let new = s.get(&new_id).unwrap();
        assert_eq!((new.starts_at, new.ends_at), (now, t(100)));

        // Different matchers (even just their order): replaced.
        let id = s
            .set(
                sil(vec![m(Equal, "a", "1"), m(Equal, "b", "2")], 0, 100),
                t(0),
            )
            .unwrap();
        let mut upd = s.get(&id).unwrap();
        upd.matchers = Matchers::from(vec![m(Equal, "b", "2"), m(Equal, "a", "1")]);
        let new_id = s.set(upd, now).unwrap();
        assert_ne!(new_id, id);
        assert_eq!(s.get(&id).unwrap().state_at(t(51)), SilenceState::Expired);
        assert_eq!(
            s.get(&new_id).unwrap().state_at(t(51)),
            SilenceState::Active
        );
        s.assert_consistent();
    }

    #[test]
    fn pending_silence_updates_in_place_or_is_replaced() {
        let s = store();
        let id = s.set(sil(job("a"), 100, 200), t(0)).unwrap();
        let now = t(50);

        let mut upd = s.get(&id).unwrap();
        upd.starts_at = now;
        upd.ends_at = t(300);
        assert_eq!(s.set(upd, now).unwrap(), id);
        let got = s.get(&id).unwrap();
        assert_eq!(
            (got.starts_at, got.ends_at, got.updated_at),
            (now, t(300), now)
        );

        // Starting in the past: replaced; the new one starts now, the old
        // one is expired by starting and ending now.
        let id = s.set(sil(job("b"), 100, 200), t(0)).unwrap();
        let mut upd = s.get(&id).unwrap();
        upd.starts_at = t(10);
        let new_id = s.set(upd, now).unwrap();
        assert_ne!(new_id, id);
        let old = s.get(&id).unwrap();
        assert_eq!(
            (old.starts_at, old.ends_at, old.updated_at),
            (now, now, now)
        );
        let new = s.get(&new_id).unwrap();
        assert_eq!(
            (new.starts_at, new.ends_at, new.updated_at),
            (now, t(200), now)
        );
    }

    #[test]
    fn expired_silence_is_never_updated_in_place() {
        let rec = Arc::new(Recorder::default());
        let s = Silences::new(SilenceOptions::default()).with_sink(rec.clone());
        let id = s.set(sil(job("a"), 0, 10), t(0)).unwrap();
        let now = t(50);
        let mut upd = s.get(&id).unwrap();
        upd.ends_at = t(100);
        rec.take();
        let new_id = s.set(upd, now).unwrap();
        assert_ne!(new_id, id);
        // The old one is left exactly as it was (no second expiry).
        assert_eq!(s.get(&id).unwrap().updated_at, t(0));
        assert_eq!(s.get(&id).unwrap().ends_at, t(10));
        assert_eq!(rec.take(), [format!("saved {new_id} 50..100 @50")]);
    }

    #[test]
    fn expire_by_state() {
        let rec = Arc::new(Recorder::default());
        let s = Silences::new(SilenceOptions::default()).with_sink(rec.clone());
        let active = s.set(sil(job("a"), 0, 100), t(0)).unwrap();
        let pending = s.set(sil(job("b"), 80, 100), t(0)).unwrap();
        let done = s.set(sil(job("c"), 0, 10), t(0)).unwrap();
        rec.take();
        let now = t(20);
        let v = s.version();
        s.expire(&active, now).unwrap();
        s.expire(&pending, now).unwrap();
        assert_eq!(s.version(), v + 2);
        s.expire(&done, now).unwrap();
        assert_eq!(
            s.version(),
            v + 2,
            "expiring an expired silence changes nothing"
        );
        assert_eq!(
            rec.take(),
            [
                format!("saved {active} 0..20 @20"),
                format!("saved {pending} 20..20 @20"),
            ]
        );
        for id in [&active, &pending, &done] {
            assert_eq!(
                s.get(id).unwrap().state_at(t(21)),
                SilenceState::Expired,
                "{id}"
            );
        }
        assert!(s.mutes(&labels(&[("job", "a")]), t(21)).active.is_empty());
        s.assert_consistent();
    }

    #[test]
    fn replacement_reports_old_then_new() {
        let rec = Arc::new(Recorder::default());
        let s = Silences::new(SilenceOptions::default()).with_sink(rec.clone());
        let id = s.set(sil(job("a"), 0, 100), t(0)).unwrap();
        assert_eq!(rec.take(), [format!("saved {id} 0..100 @0")]);
        let mut upd = s.get(&id).unwrap();
        upd.matchers = Matchers::from(job("b"));
        let new_id = s.set(upd, t(5)).unwrap();
        assert_eq!(
            rec.take(),
            [
                format!("saved {id} 0..5 @5"),
                format!("saved {new_id} 5..100 @5")
            ]
        );
    }

    #[test]
    fn max_silences_counts_expired_and_blocks_only_additions() {
        let s = Silences::new(SilenceOptions {
            max_silences: 2,
            retention: Duration::from_secs(10),
            ..SilenceOptions::default()
        });
        let a = s.set(sil(job("a"), 0, 100), t(0)).unwrap();
        let b = s.set(sil(job("b"), 0, 100), t(0)).unwrap();
        s.expire(&b, t(1)).unwrap();
        let err = s.set(sil(job("c"), 0, 100), t(2)).unwrap_err();
        assert_eq!(
            err,
            SilenceError::Limit("exceeded maximum number of silences: 2 (limit: 2)".into())
        );
        assert_eq!(
            err.to_string(),
            "exceeded maximum number of silences: 2 (limit: 2)"
        );
        // In-place updates are fine at the limit...
        let mut upd = s.get(&a).unwrap();
        upd.ends_at = t(200);
        assert_eq!(s.set(upd, t(2)), Ok(a.clone()));
        // ...replacements are not, and leave the old silence alone.
        let mut upd = s.get(&a).unwrap();
        upd.matchers = Matchers::from(job("z"));
        assert!(matches!(s.set(upd, t(2)), Err(SilenceError::Limit(_))));
        assert_eq!(s.get(&a).unwrap().ends_at, t(200));
        // GC makes room once the expired one's retention is over.
        assert_eq!(s.gc(t(11)).unwrap(), 1);
        assert!(s.set(sil(job("c"), 0, 100), t(11)).is_ok());
    }

    #[test]
    fn size_limit_uses_the_stored_form() {
        let base = || {
            let mut x = sil(job("a"), 0, 100);
            x.comment = "c".repeat(50);
            x
        };
        // The stored form: a 36-character id, updated_at = now.
        let mut stored = base();
        stored.id = "00000000-0000-4000-8000-000000000000".into();
        stored.updated_at = t(0);
        let retention = SilenceOptions::default().retention;
        let size = proto_size(&stored, retention);
        // Go's proto.Size of the same MeshSilence.
        assert_eq!(size, 136);
        let with_limit = |max| {
            Silences::new(SilenceOptions {
                max_silence_size_bytes: max,
                ..SilenceOptions::default()
            })
        };
        assert!(with_limit(size).set(base(), t(0)).is_ok());
        let s = with_limit(size - 1);
        assert_eq!(
            s.set(base(), t(0)).unwrap_err().to_string(),
            "silence exceeded maximum size: 136 bytes (limit: 135 bytes)"
        );
        assert!(s.is_empty());
        // In-place updates are checked too.
        let s = with_limit(size);
        let id = s.set(base(), t(0)).unwrap();
        let mut upd = s.get(&id).unwrap();
        upd.comment.push('x');
        assert!(matches!(s.set(upd, t(1)), Err(SilenceError::Limit(_))));
        assert_eq!(s.get(&id).unwrap().comment.len(), 50);
    }

    fn put(s: &Silences, id: &str, ms: Vec<Matcher>, start: i64, end: i64) {
        let mut x = sil(ms, start, end);
        x.id = id.to_string();
        x.updated_at = t(start);
        assert!(s.merge(x, t(0)).unwrap());
    }

    fn ids(v: &[Silence]) -> Vec<&str> {
        v.iter().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn query_filter_is_exact_matcher_equality() {
        let s = store();
        put(
            &s,
            "eq",
            vec![m(Equal, "a", "1"), m(Equal, "b", "2")],
            0,
            100,
        );
        put(&s, "re", vec![m(Regexp, "a", "1")], 0, 100);
        put(
            &s,
            "ne",
            vec![m(NotEqual, "a", "1"), m(Equal, "b", "2")],
            0,
            100,
        );
        let now = t(10);
        let q = |f: Vec<Matcher>| {
            let mut v: Vec<String> = s.query(&f, now).into_iter().map(|s| s.id).collect();
            v.sort();
            v
        };
        assert_eq!(q(vec![]), ["eq", "ne", "re"]);
        assert_eq!(q(vec![m(Equal, "a", "1")]), ["eq"]);
        assert_eq!(q(vec![m(Regexp, "a", "1")]), ["re"]);
        assert_eq!(q(vec![m(NotEqual, "a", "1")]), ["ne"]);
        assert_eq!(q(vec![m(Equal, "b", "2")]), ["eq", "ne"]);
        assert_eq!(q(vec![m(Equal, "b", "2"), m(Equal, "a", "1")]), ["eq"]);
        assert!(q(vec![m(Regexp, "a", "1|2")]).is_empty());
        assert!(q(vec![m(Equal, "a", "1"), m(Equal, "c", "")]).is_empty());
    }

    #[test]
    fn query_sorts_like_the_api() {
        let s = store();
        let all = vec![m(Equal, "x", "y")];
        put(&s, "act-late", all.clone(), -10, 300);
        put(&s, "act-soon", all.clone(), -10, 200);
        put(&s, "pend-late", all.clone(), 500, 600);
        put(&s, "pend-soon", all.clone(), 400, 600);
        put(&s, "exp-old", all.clone(), -100, -50);
        put(&s, "exp-new", all.clone(), -100, -20);
        // Ends exactly now: active for silencing, printed and sorted as
        // expired (newest end of the expired ones).
        put(&s, "edge", all.clone(), -100, 0);
        let now = t(0);
        assert_eq!(
            ids(&s.query(&[], now)),
            [
                "act-soon",
                "act-late",
                "pend-soon",
                "pend-late",
                "edge",
                "exp-new",
                "exp-old"
            ]
        );
        assert_eq!(s.get("edge").unwrap().state_at(now), SilenceState::Active);
        assert_eq!(
            s.get("edge").unwrap().api_state_at(now),
            SilenceState::Expired
        );
        assert_eq!(
            ids(&s.query_states(&[], &[SilenceState::Active], now)),
            ["act-soon", "act-late", "edge"]
        );
        assert_eq!(
            ids(&s.query_states(&[], &[SilenceState::Expired, SilenceState::Pending], now)),
            ["pend-soon", "pend-late", "exp-new", "exp-old"]
        );
        // Ties are ordered by id.
        put(&s, "act-soon-2", all.clone(), -5, 200);
        assert_eq!(
            ids(&s.query(&[], now))[..3],
            ["act-soon", "act-soon-2", "act-late"]
        );
        assert_eq!(
            s.counts(now),
            SilenceCounts {
                active: 4,
                pending: 2,
                expired: 2
            }
        );
    }

    #[test]
    fn gc_respects_retention() {
        let rec = Arc::new(Recorder::default());
        let s = Silences::new(SilenceOptions {
            retention: Duration::from_secs(10),
            ..SilenceOptions::default()
        })
        .with_sink(rec.clone());
        put(&s, "a", job("a"), 0, 100);
        put(&s, "b", job("b"), 0, 200);
        rec.take();
        let v = s.version();
        assert_eq!(s.gc(t(109)).unwrap(), 0);
        assert_eq!(s.version(), v);
        assert_eq!(
            s.gc(t(110)).unwrap(),
            1,
            "removed once ends_at + retention <= now"
        );
        assert_eq!(s.version(), v + 1);
        assert_eq!(rec.take(), ["removed a"]);
        assert!(s.get("a").is_none());
        assert!(s.mutes(&labels(&[("job", "a")]), t(50)).active.is_empty());
        assert_eq!(s.mutes(&labels(&[("job", "b")]), t(50)).active, ["b"]);
        s.assert_consistent();
    }

    #[test]
    fn merge_keeps_the_newer_version() {
        let s = Silences::new(SilenceOptions {
            retention: Duration::from_secs(10),
            ..SilenceOptions::default()
        });
        let mut x = sil(job("a"), 0, 100);
        x.id = "m".into();
        x.updated_at = t(5);
        assert!(s.merge(x.clone(), t(0)).unwrap());
        assert!(
            !s.merge(x.clone(), t(0)).unwrap(),
            "same updated_at: no change"
        );
        let mut older = x.clone();
        older.updated_at = t(4);
        older.matchers = Matchers::from(job("old"));
        assert!(!s.merge(older, t(0)).unwrap());
        let mut newer = x.clone();
        newer.updated_at = t(6);
        newer.matchers = Matchers::from(job("new"));
        let v = s.version();
        assert!(s.merge(newer, t(0)).unwrap());
        assert_eq!(s.version(), v + 1);
        assert!(s.mutes(&labels(&[("job", "a")]), t(1)).active.is_empty());
        assert_eq!(s.mutes(&labels(&[("job", "new")]), t(1)).active, ["m"]);
        s.assert_consistent();

        // Past retention, or without an id: ignored.
        let mut gone = x.clone();
        gone.id = "gone".into();
        assert!(!s.merge(gone.clone(), t(111)).unwrap());
        assert!(
            s.merge(gone, t(110)).unwrap(),
            "ends_at + retention == now is kept"
        );
        let mut anon = x;
        anon.id.clear();
        assert!(!s.merge(anon, t(0)).unwrap());
        assert_eq!(s.snapshot().len(), 2);
    }

    #[test]
    fn restore_skips_the_sink() {
        let rec = Arc::new(Recorder::default());
        let s = Silences::new(SilenceOptions {
            retention: Duration::from_secs(10),
            ..SilenceOptions::default()
        })
        .with_sink(rec.clone());
        let mk = |id: &str, end: i64, updated: i64| {
            let mut x = sil(job(id), 0, end);
            x.id = id.to_string();
            x.updated_at = t(updated);
            x
        };
        let loaded = vec![
            mk("a", 100, 1),
            mk("a", 100, 2),
            mk("old", 5, 1),
            mk("b", 100, 1),
        ];
        assert_eq!(s.restore(loaded, t(50)), 3);
        assert_eq!(s.version(), 1);
        assert!(rec.take().is_empty());
        assert_eq!(s.get("a").unwrap().updated_at, t(2));
        assert!(s.get("old").is_none(), "retention already over");
        assert_eq!(s.mutes(&labels(&[("job", "b")]), t(50)).active, ["b"]);
        assert_eq!(s.restore(vec![mk("b", 100, 1)], t(50)), 0);
        assert_eq!(s.version(), 1);
        s.assert_consistent();
    }

    #[test]
    fn mutes_reports_active_and_pending_sorted() {
        let s = store();
        put(&s, "b", vec![m(Equal, "job", "api")], -10, 10);
        put(&s, "a", vec![m(Regexp, "job", "api|web")], -10, 10);
        put(&s, "p", vec![m(NotEqual, "env", "dev")], 5, 10);
        put(&s, "x", vec![m(Equal, "job", "api")], -10, -5);
        put(
            &s,
            "e",
            vec![m(Equal, "env", ""), m(Equal, "job", "api")],
            -10,
            10,
        );
        let now = t(0);
        let got = s.mutes(&labels(&[("job", "api")]), now);
        assert_eq!(got.active, ["a", "b", "e"]);
        assert_eq!(got.pending, ["p"]);
        assert!(got.is_silenced());
        let got = s.mutes(&labels(&[("job", "api"), ("env", "prod")]), now);
        assert_eq!(got.active, ["a", "b"]);
        let got = s.mutes(&labels(&[("job", "web"), ("env", "dev")]), now);
        assert_eq!(
            got,
            SilenceMatch {
                active: vec!["a".into()],
                pending: vec![]
            }
        );
        // Both ends of the interval count as active for silencing.
        assert_eq!(
            s.mutes(&labels(&[("job", "api")]), t(10)).active,
            ["a", "b", "e", "p"]
        );
        assert_eq!(
            s.mutes(&labels(&[("job", "api")]), t(-10)).active,
            ["a", "b", "e", "x"]
        );
        assert_eq!(s.unindexed(), 1);
    }

    #[test]
    fn gc_task_runs_periodically() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let s = Arc::new(Silences::new(SilenceOptions {
            retention: Duration::ZERO,
            ..SilenceOptions::default()
        }));
        let mut x = sil(job("a"), -100, -50);
        x.id = "old".into();
        assert!(s.merge(x, t(-60)).unwrap());
        rt.block_on(async {
            let handle = Arc::clone(&s).spawn_gc(Duration::from_millis(10));
            for _ in 0..200 {
                if s.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            handle.abort();
            // A zero interval finishes at once.
            Arc::clone(&s).spawn_gc(Duration::ZERO).await.unwrap();
        });
        assert!(s.is_empty());
    }

    /// A slow sink that records how many persists overlap and which ids
    /// were being persisted at the same time.
    #[derive(Default)]
    struct Slow {
        now: Mutex<Vec<String>>,
        most: std::sync::atomic::AtomicUsize,
        clash: std::sync::atomic::AtomicBool,
    }

    impl SilenceSink for Slow {
        fn persist(&self, saved: &[Arc<Silence>], _: &[String]) -> Result<(), String> {
            {
                let mut now = self.now.lock().unwrap();
                for x in saved {
                    if now.contains(&x.id) {
                        self.clash.store(true, AtomicOrdering::SeqCst);
                    }
                    now.push(x.id.clone());
                }
                self.most.fetch_max(now.len(), AtomicOrdering::SeqCst);
            }
            std::thread::sleep(Duration::from_millis(20));
            let mut now = self.now.lock().unwrap();
            now.retain(|id| saved.iter().all(|x| &x.id != id));
            Ok(())
        }
    }

    /// A valid hour-long silence of `job="<i>"` starting at `now`.
    fn hour_long(i: usize, now: Timestamp) -> Silence {
        let mut x = Silence::new(
            Matchers::from(job(&i.to_string())),
            now,
            now + TimeDelta::hours(1),
        );
        x.created_by = "a".into();
        x.comment = "b".into();
        x
    }

    #[test]
    fn changes_to_different_silences_overlap_and_to_one_do_not() {
        let sink = Arc::new(Slow::default());
        let s = Arc::new(store().with_sink(sink.clone()));
        let now = Utc::now();
        let ids: Vec<String> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..8)
                .map(|i| {
                    let s = &s;
                    sc.spawn(move || s.set(hour_long(i, now), now).unwrap())
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(s.len(), 8);
        assert!(
            sink.most.load(AtomicOrdering::SeqCst) > 1,
            "creates were persisted one at a time"
        );
        // Eight changes of one silence at once: one at a time.
        std::thread::scope(|sc| {
            for k in 0..8 {
                let (s, id) = (&s, ids[0].clone());
                sc.spawn(move || {
                    let mut x = s.get(&id).unwrap();
                    x.comment = format!("edit {k}");
                    let _ = s.set(x, now);
                });
            }
        });
        assert!(!sink.clash.load(AtomicOrdering::SeqCst));
        s.assert_consistent();
    }

    #[test]
    fn the_limit_holds_for_concurrent_creates() {
        let s = Arc::new(
            Silences::new(SilenceOptions {
                max_silences: 5,
                ..SilenceOptions::default()
            })
            .with_sink(Arc::new(Slow::default())),
        );
        let now = Utc::now();
        let ok = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..20)
                .map(|i| {
                    let s = &s;
                    sc.spawn(move || s.set(hour_long(i, now), now).is_ok())
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap())
                .filter(|ok| *ok)
                .count()
        });
        assert_eq!(ok, 5);
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn silences_are_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Silences>();
    }
}
