//! [`Rights`]: what a [`Principal`] may do on the server, decided by the embedded broker's
//! ACLs — the model Kafka clients are held to, so one `spate acls` (or `kafka-acls.sh`) grant
//! covers a user's Kafka clients, the REST API and the jobs it submits.
//!
//! | Action | Needs (besides being the job's owner where it says so) |
//! |---|---|
//! | see a job (detail, plan, metrics, checkpoints, exceptions) | its owner, or `DESCRIBE` on `Cluster` |
//! | cancel, stop, savepoint, resume a job | its owner, or `ALTER` on `Cluster` |
//! | submit a job or a SQL preview, and every run of a job | the rights on each Kafka table below |
//! | read a Kafka table | `READ` on each topic; `READ` on the group of `properties.group.id` |
//! | read a `topic-pattern` table | `READ` on every topic (a wildcard ACL): the pattern may match any topic, now or later |
//! | write a Kafka table | `WRITE` on its topic (on every topic when rows name their topic) |
//! | write exactly-once | `WRITE` on the transactional ids `<prefix>-<subtask>-<n>` (a `PREFIXED` ACL on the prefix) |
//! | browse topics / groups | listed: those with `DESCRIBE`; messages: `READ` on the topic |
//! | `/metrics` | `DESCRIBE` on `Cluster` |
//! | schema registry subjects (`/schemas`) | listed: those whose topic has `DESCRIBE` (`orders-value` is topic `orders`'s, as on the registry's port); one subject: the same, else a 403 |
//!
//! Kafka tables count when they use the server's cluster: those without
//! `properties.bootstrap.servers`, and those whose bootstrap servers are the embedded broker
//! (whose sources read its logs in-process, where no connection is authenticated). A table on
//! another cluster brings its own credentials and that cluster checks them. The administrator
//! (the server's token) and the broker's `super.users` may do everything; with the authorizer
//! off every user may, as Kafka allows every client then.

use spate_broker::BrokerAccess;
use spate_broker::acl::{Operation, Resource};
use spate_sql::{TableAccess, TableDef};

use crate::error::{Result, ServerError};
use crate::principal::{Owner, Principal};

/// The server's authorizer.
#[derive(Debug, Clone, Default)]
pub struct Rights {
    /// The embedded broker's users and ACLs (`None` with an external cluster: there are no
    /// users, only the administrator).
    access: Option<BrokerAccess>,
}

impl Rights {
    /// Rights by `access`'s ACLs.
    pub fn new(access: Option<BrokerAccess>) -> Self {
        Self { access }
    }

    /// Whether `who` may do `operation` on `resource`; a refusal is logged with the broker's.
    pub fn allows(&self, who: &Principal, operation: Operation, resource: Resource<'_>) -> bool {
        match (who, &self.access) {
            (Principal::Admin, _) | (_, None) => true,
            (Principal::User(o), Some(a)) => a.allows(&o.principal, o.host, operation, resource),
        }
    }

    /// [`Self::allows`] without a log line, for lists that leave out what `who` may not see.
    pub fn filters_in(&self, who: &Principal, operation: Operation, resource: Resource<'_>) -> bool {
        match (who, &self.access) {
            (Principal::Admin, _) | (_, None) => true,
            (Principal::User(o), Some(a)) => a.filters_in(&o.principal, o.host, operation, resource),
        }
    }

    /// A 403 unless `who` may do `operation` on `resource`; `what` says what it was for.
    pub fn check(
        &self,
        who: &Principal,
        operation: Operation,
        resource: Resource<'_>,
        what: &str,
    ) -> Result<()> {
        if self.allows(who, operation, resource) {
            return Ok(());
        }
        Err(ServerError::Forbidden(format!(
            "{} may not {what}: it needs {operation} on {resource} (grant it with spate acls add, \
             as for a Kafka client)",
            who.name()
        )))
    }

    /// Whether `who` may see the job `owner` submitted.
    pub fn may_view_job(&self, who: &Principal, owner: Option<&Owner>) -> bool {
        is_owner(who, owner) || self.filters_in(who, Operation::Describe, Resource::cluster())
    }

    /// A 404 unless `who` may see the job (a job one may not see is not shown to exist).
    pub fn check_view_job(&self, who: &Principal, owner: Option<&Owner>, id: &str) -> Result<()> {
        if self.may_view_job(who, owner) {
            return Ok(());
        }
        Err(ServerError::JobNotFound(id.to_string()))
    }

    /// A 403 unless `who` may cancel, stop, savepoint or resume the job `owner` submitted.
    pub fn check_control_job(&self, who: &Principal, owner: Option<&Owner>) -> Result<()> {
        if is_owner(who, owner) {
            return Ok(());
        }
        self.check(
            who,
            Operation::Alter,
            Resource::cluster(),
            "control another principal's job",
        )
    }

    /// A 403 unless `who` may read and write the Kafka tables of `tables` (see the module
    /// docs); the message names the table, the topic and the ACL wanted.
    pub fn check_tables(&self, who: &Principal, tables: &TableAccess) -> Result<()> {
        if matches!(who, Principal::Admin) || self.access.is_none() {
            return Ok(());
        }
        for table in tables.reads.iter().filter(|t| self.on_server_cluster(t)) {
            let what = |topic: &str| format!("read topic '{topic}' (table {})", table.name);
            match (table.option("topic"), table.option("topic-pattern")) {
                (_, Some(pattern)) => self.check(
                    who,
                    Operation::Read,
                    Resource::topic("*"),
                    &format!("read the topics of pattern '{pattern}' (table {})", table.name),
                )?,
                (Some(topics), None) => {
                    for topic in topics.split(';').map(str::trim).filter(|t| !t.is_empty()) {
                        self.check(who, Operation::Read, Resource::topic(topic), &what(topic))?;
                    }
                }
                (None, None) => {}
            }
            if let Some(group) = table.option("properties.group.id") {
                self.check(
                    who,
                    Operation::Read,
                    Resource::group(group),
                    &format!("consume as group '{group}' (table {})", table.name),
                )?;
            }
        }
        for table in tables.writes.iter().filter(|t| self.on_server_cluster(t)) {
            let topic = table.option("topic").unwrap_or("*");
            self.check(
                who,
                Operation::Write,
                Resource::topic(topic),
                &format!("write topic '{topic}' (table {})", table.name),
            )?;
            if table
                .option("sink.delivery-guarantee")
                .is_some_and(|g| g.eq_ignore_ascii_case("exactly-once"))
                && let Some(prefix) = table.option("sink.transactional-id-prefix")
            {
                // The sink's ids are `<prefix>-<subtask>-<n>`: a PREFIXED grant on the prefix
                // covers them all, and this one stands for them.
                let first = format!("{prefix}-0-0");
                self.check(
                    who,
                    Operation::Write,
                    Resource::transactional_id(&first),
                    &format!("write transactions '{prefix}-*' (table {})", table.name),
                )?;
            }
        }
        Ok(())
    }

    /// Whether `table` is a Kafka table on the server's own cluster.
    fn on_server_cluster(&self, table: &TableDef) -> bool {
        let kafka = table
            .option("connector")
            .is_some_and(|c| c.eq_ignore_ascii_case("kafka") || c.eq_ignore_ascii_case("upsert-kafka"));
        if !kafka {
            return false;
        }
        match (table.option("properties.bootstrap.servers"), &self.access) {
            (None, _) => true,
            (Some(servers), Some(access)) => {
                spate_broker::local::find(servers).is_some_and(|local| access.serves(&local))
            }
            (Some(_), None) => false,
        }
    }
}

fn is_owner(who: &Principal, owner: Option<&Owner>) -> bool {
    match (who, owner) {
        (Principal::Admin, _) => true,
        // The host is where it came from, not part of who it is.
        (Principal::User(me), Some(o)) => me.principal == o.principal,
        (Principal::User(_), None) => false,
    }
}
