import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import '../shared/engage.css';
import '../widget/widget.css';
import './console.css';

createRoot(document.getElementById('root')!).render(<App />);
