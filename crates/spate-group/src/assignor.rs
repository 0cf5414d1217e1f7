//! Spate's task assignor (the leader runs it): balanced and sticky.
//!
//! - **Balanced**: with `n` members and `t` tasks every member gets `t / n` or `t / n + 1`
//!   tasks; the extra ones go to the members that owned the most before, which keeps the most
//!   tasks where they are.
//! - **Sticky**: a member keeps the tasks it owned, up to its share. When two members claim a
//!   task (a zombie that missed a generation, a member that came back), the claim of the later
//!   generation wins, then the lower member id.
//! - **Spread**: the tasks that must move go, one at a time, to the member with room that has
//!   the fewest tasks of that stage, then the fewest tasks, then the lowest id; so each stage
//!   spreads over the processes, as Kafka Streams spreads a subtopology's tasks.
//!
//! The result depends only on the input (members in any order give the same assignment).

use std::collections::{BTreeMap, HashMap};

use crate::task::TaskId;

/// A member as the assignor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignorMember {
    /// Its member id.
    pub member_id: String,
    /// The generation in which it owned `owned`.
    pub owned_generation: i32,
    /// The tasks it owned.
    pub owned: Vec<TaskId>,
}

/// Assigns `tasks` (every task of the job) to `members`: member id → its tasks, sorted. Every
/// task goes to exactly one member; with no members the result is empty.
pub fn assign(tasks: &[TaskId], members: &[AssignorMember]) -> BTreeMap<String, Vec<TaskId>> {
    let mut result: BTreeMap<String, Vec<TaskId>> = members
        .iter()
        .map(|m| (m.member_id.clone(), Vec::new()))
        .collect();
    if members.is_empty() {
        return result;
    }
    let mut tasks: Vec<TaskId> = tasks.to_vec();
    tasks.sort_unstable();
    tasks.dedup();

    // Who may keep each task: the claim of the newest generation, then the lowest id.
    let mut winner: HashMap<TaskId, (&AssignorMember, i32)> = HashMap::new();
    for m in members {
        for t in &m.owned {
            let better = match winner.get(t) {
                None => true,
                Some((w, generation)) => {
                    (m.owned_generation, std::cmp::Reverse(&m.member_id))
                        > (*generation, std::cmp::Reverse(&w.member_id))
                }
            };
            if better {
                winner.insert(*t, (m, m.owned_generation));
            }
        }
    }
    let mut kept: BTreeMap<&str, Vec<TaskId>> = BTreeMap::new();
    for t in &tasks {
        if let Some((m, _)) = winner.get(t) {
            kept.entry(m.member_id.as_str()).or_default().push(*t);
        }
    }

    // Shares: everyone `t / n`, the `t % n` members that kept the most get one more.
    let base = tasks.len() / members.len();
    let extra = tasks.len() % members.len();
    let mut by_claims: Vec<&str> = members.iter().map(|m| m.member_id.as_str()).collect();
    by_claims.sort_unstable_by(|a, b| {
        let (ka, kb) = (kept.get(a).map_or(0, Vec::len), kept.get(b).map_or(0, Vec::len));
        kb.cmp(&ka).then(a.cmp(b))
    });
    by_claims.dedup();
    let share: HashMap<&str, usize> = by_claims
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, base + usize::from(i < extra)))
        .collect();

    // Keep what each member may keep, up to its share, spread over stages.
    let mut unassigned: Vec<TaskId> = Vec::new();
    let mut assigned_to: HashMap<TaskId, &str> = HashMap::new();
    for (id, mut owned) in kept {
        interleave_stages(&mut owned);
        let room = share.get(id).copied().unwrap_or(0);
        for (i, t) in owned.into_iter().enumerate() {
            if i < room {
                assigned_to.insert(t, id);
            } else {
                unassigned.push(t);
            }
        }
    }
    unassigned.extend(tasks.iter().filter(|t| !winner.contains_key(t)));
    // Hand out by index, then stage, so consecutive handouts alternate stages.
    unassigned.sort_unstable_by_key(|t| (t.index, t.stage));

    let mut count: HashMap<&str, usize> = HashMap::new();
    let mut stage_count: HashMap<(&str, u32), usize> = HashMap::new();
    for (t, id) in &assigned_to {
        *count.entry(id).or_default() += 1;
        *stage_count.entry((id, t.stage)).or_default() += 1;
    }
    for t in unassigned {
        let Some(id) = by_claims
            .iter()
            .copied()
            .filter(|id| count.get(id).copied().unwrap_or(0) < share[id])
            .min_by_key(|id| {
                (
                    stage_count.get(&(*id, t.stage)).copied().unwrap_or(0),
                    count.get(id).copied().unwrap_or(0),
                    *id,
                )
            })
        else {
            // Unreachable: the shares add up to the task count.
            continue;
        };
        *count.entry(id).or_default() += 1;
        *stage_count.entry((id, t.stage)).or_default() += 1;
        assigned_to.insert(t, id);
    }

    for (t, id) in assigned_to {
        if let Some(list) = result.get_mut(id) {
            list.push(t);
        }
    }
    for list in result.values_mut() {
        list.sort_unstable();
    }
    result
}

/// Reorders `tasks` so the stages alternate (stage 0's first, stage 1's first, ..., stage 0's
/// second, ...): what is kept first when a member must give some up is spread over stages.
fn interleave_stages(tasks: &mut Vec<TaskId>) {
    let mut rank: HashMap<u32, usize> = HashMap::new();
    let mut keyed: Vec<(usize, TaskId)> = tasks
        .iter()
        .map(|t| {
            let r = rank.entry(t.stage).or_default();
            *r += 1;
            (*r, *t)
        })
        .collect();
    keyed.sort_unstable();
    *tasks = keyed.into_iter().map(|(_, t)| t).collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tasks(stages: u32, per_stage: u32) -> Vec<TaskId> {
        (0..stages)
            .flat_map(|s| (0..per_stage).map(move |i| TaskId::new(s, i)))
            .collect()
    }

    fn member(id: &str, generation: i32, owned: &[TaskId]) -> AssignorMember {
        AssignorMember {
            member_id: id.into(),
            owned_generation: generation,
            owned: owned.to_vec(),
        }
    }

    fn check_complete_and_balanced(all: &[TaskId], out: &BTreeMap<String, Vec<TaskId>>) {
        let mut seen: Vec<TaskId> = out.values().flatten().copied().collect();
        seen.sort_unstable();
        let mut want = all.to_vec();
        want.sort_unstable();
        want.dedup();
        assert_eq!(seen, want, "every task exactly once");
        let sizes: Vec<usize> = out.values().map(Vec::len).collect();
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(max - min <= 1, "unbalanced: {sizes:?}");
    }

    #[test]
    fn fresh_members_split_every_stage_evenly() {
        let all = tasks(2, 12);
        let members = [member("a", -1, &[]), member("b", -1, &[]), member("c", -1, &[])];
        let out = assign(&all, &members);
        check_complete_and_balanced(&all, &out);
        for list in out.values() {
            assert_eq!(list.len(), 8);
            assert_eq!(list.iter().filter(|t| t.stage == 0).count(), 4, "{list:?}");
        }
    }

    #[test]
    fn a_new_member_takes_only_its_share_and_the_others_keep_the_rest() {
        let all = tasks(1, 12);
        let first = assign(&all, &[member("a", -1, &[]), member("b", -1, &[])]);
        let a_owned = first["a"].clone();
        let b_owned = first["b"].clone();
        let second = assign(
            &all,
            &[
                member("a", 1, &a_owned),
                member("b", 1, &b_owned),
                member("c", -1, &[]),
            ],
        );
        check_complete_and_balanced(&all, &second);
        assert!(second["a"].iter().all(|t| a_owned.contains(t)));
        assert!(second["b"].iter().all(|t| b_owned.contains(t)));
        assert_eq!(second["c"].len(), 4);
        // c leaves again: a and b get back exactly their own plus c's, nothing else moves.
        let third = assign(
            &all,
            &[member("a", 2, &second["a"]), member("b", 2, &second["b"])],
        );
        check_complete_and_balanced(&all, &third);
        for t in &second["a"] {
            assert!(third["a"].contains(t));
        }
        for t in &second["b"] {
            assert!(third["b"].contains(t));
        }
    }

    #[test]
    fn the_newest_generation_wins_a_task_two_members_claim() {
        let all = tasks(1, 4);
        let t0 = TaskId::new(0, 0);
        let out = assign(&all, &[member("zombie", 3, &[t0]), member("current", 5, &[t0])]);
        assert!(out["current"].contains(&t0));
        assert!(!out["zombie"].contains(&t0));
    }

    #[test]
    fn more_members_than_tasks_leaves_some_idle_and_unknown_claims_are_ignored() {
        let all = tasks(1, 2);
        let out = assign(
            &all,
            &[
                member("a", 1, &[TaskId::new(9, 9)]),
                member("b", -1, &[]),
                member("c", -1, &[]),
            ],
        );
        check_complete_and_balanced(&all, &out);
        assert_eq!(out.values().filter(|l| l.is_empty()).count(), 1);
        assert!(assign(&all, &[]).is_empty());
    }

    proptest! {
        #[test]
        fn complete_balanced_sticky_and_order_independent(
            stages in 1u32..4,
            per_stage in 1u32..20,
            claims in proptest::collection::vec((proptest::collection::vec((0u32..4, 0u32..20), 0..12), -1i32..4), 1..6),
            rotate in 0usize..6,
        ) {
            let all = tasks(stages, per_stage);
            let members: Vec<AssignorMember> = claims
                .iter()
                .enumerate()
                .map(|(i, (owned, generation))| AssignorMember {
                    member_id: format!("m{i}"),
                    owned_generation: *generation,
                    owned: owned.iter().map(|&(s, i)| TaskId::new(s, i)).collect(),
                })
                .collect();
            let out = assign(&all, &members);
            check_complete_and_balanced(&all, &out);
            let mut rotated = members.clone();
            rotated.rotate_left(rotate % members.len());
            prop_assert_eq!(&assign(&all, &rotated), &out);
            // Sticky: a member whose claims nobody newer contests keeps min(share, claims).
            let base = all.len() / members.len();
            for m in &members {
                let uncontested: Vec<TaskId> = m
                    .owned
                    .iter()
                    .filter(|t| all.contains(t))
                    .filter(|t| {
                        members.iter().all(|o| {
                            o.member_id == m.member_id
                                || !o.owned.contains(t)
                                || (o.owned_generation, std::cmp::Reverse(&o.member_id))
                                    < (m.owned_generation, std::cmp::Reverse(&m.member_id))
                        })
                    })
                    .copied()
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let kept = out[&m.member_id].iter().filter(|t| uncontested.contains(t)).count();
                prop_assert!(kept >= uncontested.len().min(base), "{} kept {kept} of {:?}", m.member_id, uncontested);
            }
        }
    }
}
