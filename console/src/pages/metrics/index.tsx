// Metrics and rules: the rule list with each monitor's state (/), the rule editor with its dry run (/rules/new,
// /rules/<id>), and a metric's chart with its rules' thresholds and firing episodes (/<metric name>).
import type { AreaProps } from '../../areas.ts';
import { registerMessages } from '../../i18n.ts';
import { Route, Switch, useParams } from '../../router.tsx';
import { MetricChart } from './MetricChart.tsx';
import { en, zhCN } from './messages.ts';
import { RuleEditor } from './RuleEditor.tsx';
import { RuleList } from './RuleList.tsx';
import './metrics.css';

registerMessages('metrics', { en, 'zh-CN': zhCN });

const decode = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

function EditRoute({ session }: AreaProps) {
  const { id } = useParams<{ id: string }>();
  // A new key per rule: the form starts from the rule it opens.
  return <RuleEditor key={id} session={session} ruleId={id} />;
}

function ChartRoute({ session }: AreaProps) {
  const { name } = useParams<{ name: string }>();
  return <MetricChart key={name} session={session} name={decode(name)} />;
}

export default function MetricsArea({ session }: AreaProps) {
  return (
    <Switch>
      <Route path="/">
        <RuleList session={session} />
      </Route>
      <Route path="/rules/new">
        <RuleEditor session={session} />
      </Route>
      <Route path="/rules/:id">
        <EditRoute session={session} />
      </Route>
      <Route path="/:name">
        <ChartRoute session={session} />
      </Route>
    </Switch>
  );
}
